# Generates coopmap's hand-made routing fixtures (testdata/route/*.osm).
from xml.sax.saxutils import quoteattr as q
cases = [
 ("cycleway", {"highway":"cycleway"}),
 ("motorway", {"highway":"motorway"}),
 ("trunk", {"highway":"trunk"}),
 ("oneway", {"highway":"residential","oneway":"yes"}),
 ("oneway-bicycle-no", {"highway":"residential","oneway":"yes","oneway:bicycle":"no"}),
 ("contraflow-opposite", {"highway":"residential","oneway":"yes","cycleway":"opposite"}),
 ("contraflow-lane", {"highway":"residential","oneway":"yes","cycleway:right":"opposite_lane"}),
 ("bicycle-no", {"highway":"residential","bicycle":"no"}),
 ("bicycle-private", {"highway":"residential","bicycle":"private"}),
 ("access-no", {"highway":"residential","access":"no"}),
 ("access-no-bicycle-yes", {"highway":"residential","access":"no","bicycle":"yes"}),
 ("steps", {"highway":"steps"}),
 ("dismount", {"highway":"cycleway","bicycle":"dismount"}),
 ("mud", {"highway":"cycleway","surface":"mud"}),
 ("oneway-reverse", {"highway":"residential","oneway":"-1"}),
 ("roundabout", {"highway":"residential","junction":"roundabout"}),
]
nodes=[]; ways=[]
nid=1; wid=1
def node(lon,lat):
    global nid
    nodes.append((nid,lon,lat)); nid+=1; return nid-1
def way(refs,tags):
    global wid
    ways.append((wid,refs,tags)); wid+=1; return wid-1
for k,(label,tags) in enumerate(cases):
    b = 51.5 + 0.01*k
    A=node(0.0,b); J1=node(0.001,b); J2=node(0.004,b); B=node(0.005,b)
    D1=node(0.001,b-0.002); D2=node(0.004,b-0.002)
    way([A,J1],{"highway":"residential","name":"Start Street"})
    way([J2,B],{"highway":"residential","name":"End Street"})
    t=dict(tags); t["name"]="Test Way"; t["note"]=label
    way([J1,J2],t)
    way([J1,D1,D2,J2],{"highway":"residential","name":"Detour Road"})
# a way with a node missing from the file, at the edge of the extract
b=51.5+0.01*len(cases)
P=node(0.0,b); Q=node(0.001,b); R=node(0.003,b)
way([P,Q,999999,R],{"highway":"residential","name":"Broken Way"})
with open("testdata/route/ladders.osm","w") as f:
    f.write('<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="coopmap testdata/route (hand-made)">\n')
    for i,lon,lat in nodes:
        f.write(f'  <node id="{i}" lat="{lat:.7f}" lon="{lon:.7f}"/>\n')
    for i,refs,tags in ways:
        f.write(f'  <way id="{i}">\n')
        for r in refs: f.write(f'    <nd ref="{r}"/>\n')
        for kk,v in tags.items(): f.write(f'    <tag k={q(kk)} v={q(v)}/>\n')
        f.write('  </way>\n')
    f.write('</osm>\n')

# Turn restrictions: three junctions, each with a south arm, a north arm,
# an east arm, and a loop from the north arm to the east arm.
nodes=[]; ways=[]; rels=[]
nid=1; wid=1
setups=[("no_right_turn",None,"First"),("only_straight_on",None,"Second"),("no_right_turn","bicycle","Third")]
for k,(restr,exc,label) in enumerate(setups):
    x=0.01*k; b=51.6
    S=node(x,b-0.002); X=node(x,b); N=node(x,b+0.002); E=node(x+0.002,b); NE=node(x+0.002,b+0.002); EE=node(x+0.003,b)
    ws=way([S,X],{"highway":"residential","name":label+" South"})
    wn=way([X,N],{"highway":"residential","name":label+" North"})
    we=way([X,E,EE],{"highway":"residential","name":label+" East"})
    way([N,NE],{"highway":"residential","name":label+" Loop"})
    way([NE,E],{"highway":"residential","name":label+" Back"})
    tags={"type":"restriction","restriction":restr}
    if exc: tags["except"]=exc
    to = wn if restr.startswith("only_") else we
    rels.append(([("way",ws,"from"),("node",X,"via"),("way",to,"to")],tags))
with open("testdata/route/restrictions.osm","w") as f:
    f.write('<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="coopmap testdata/route (hand-made)">\n')
    for i,lon,lat in nodes:
        f.write(f'  <node id="{i}" lat="{lat:.7f}" lon="{lon:.7f}"/>\n')
    for i,refs,tags in ways:
        f.write(f'  <way id="{i}">\n')
        for r in refs: f.write(f'    <nd ref="{r}"/>\n')
        for kk,v in tags.items(): f.write(f'    <tag k={q(kk)} v={q(v)}/>\n')
        f.write('  </way>\n')
    for i,(members,tags) in enumerate(rels,1):
        f.write(f'  <relation id="{i}">\n')
        for t,r,role in members: f.write(f'    <member type="{t}" ref="{r}" role="{role}"/>\n')
        for kk,v in tags.items(): f.write(f'    <tag k={q(kk)} v={q(v)}/>\n')
        f.write('  </relation>\n')
    f.write('</osm>\n')
