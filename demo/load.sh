#!/usr/bin/env bash
# Loads the bundled demo data into a coopmap store: the Co-operatives UK
# open data, an overlay of the cycle infrastructure of part of North
# London from OpenStreetMap, its bike routing graph and four demo tours. Idempotent: a second run reports "0 added, 0 updated,
# N unchanged, 0 removed" for each source and changes nothing.
#   demo/load.sh                       bin/coopmap into ./coopmap.gpkg
#   BIN=coopmap DB=postgres://… demo/load.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-bin/coopmap}
DB=${DB:-./coopmap.gpkg}

"$BIN" import --db "$DB" --source coops-uk --kind coops \
	--title "Co-operatives UK open data (Q2 2023)" \
	--description "UK co-operatives from Co-operatives UK's open data, Q2 2023 edition, in Digital Commons' standard layout. Locations are registered-office postcode centroids." \
	--licence ODC-By-1.0 \
	--attribution "Contains data from Co-operatives UK, licensed under the Open Data Commons Attribution License (ODC-By 1.0). Contains OS data © Crown copyright and database right (postcode centroids, Open Government Licence v3.0). Conversion by Digital Commons Co-operative." \
	--owner "Co-operatives UK" \
	--origin "https://www.uk.coop/resources/open-data (Q2 2023), via https://github.com/DigitalCommons/open-data workers-coop/standard.Q2-2023.postcodes.csv" \
	--show 0 \
	demo/coops-uk-Q2-2023.csv

# The cycle map layer: cycle infrastructure from the same extract (ODbL):
# cycleways, roads with cycle lanes or tracks, paths designated for bikes,
# and bike parking, hire, repair stations and shops where the extract has
# them (this highway-only extract has none of those points).
"$BIN" import --db "$DB" --source london-cycle-map --kind features \
	--title "Cycle map: cycle infrastructure, Wood Green to Palmers Green (OpenStreetMap)" \
	--description "Cycleways, cycle lanes and tracks, shared paths designated for bikes, bike parking and bike shops from an OpenStreetMap extract of part of North London (Wood Green, Bounds Green, Palmers Green; lon -0.1585..-0.0949, lat 51.5978..51.6316), exported from the Overpass API in 2026." \
	--licence ODbL-1.0 \
	--attribution "© OpenStreetMap contributors, licensed under the Open Database License (ODbL 1.0)." \
	--owner "OpenStreetMap contributors" \
	--origin "https://www.openstreetmap.org (Overpass API export), via https://github.com/stanislavorlov/geo-maps data/maps_osm_pbf/london_large.osm" \
	--osm-filter "highway=cycleway,bicycle=designated,bicycle_road=yes,cycleway=lane,cycleway=track,cycleway=opposite,cycleway=opposite_lane,cycleway=opposite_track,cycleway=shared_lane,cycleway=share_busway,cycleway:left=lane,cycleway:left=track,cycleway:left=shared_lane,cycleway:left=share_busway,cycleway:right=lane,cycleway:right=track,cycleway:right=shared_lane,cycleway:right=share_busway,cycleway:both=lane,cycleway:both=track,cycleway:both=shared_lane,amenity=bicycle_parking,amenity=bicycle_rental,amenity=bicycle_repair_station,shop=bicycle" \
	--show 0 \
	demo/london-highways.osm.bz2

# The bike routing graph of the same extract, built once: again only when
# the extract is newer than the graph. serve --graph loads it (make run).
GRAPH=${GRAPH:-./coopmap.graph}
if [[ ! -s "$GRAPH" || demo/london-highways.osm.bz2 -nt "$GRAPH" ]]; then
	if ! report=$("$BIN" graph build demo/london-highways.osm.bz2 -o "$GRAPH" 2>&1); then
		echo "$report" >&2
		exit 1
	fi
	echo "${report##*$'\n'}" # the graph written; the report before it says what was left out
fi

# Four demo tours in the tours source (ODbL: routed on OpenStreetMap),
# each visiting real co-ops from the Co-operatives UK data. The extract
# covers only part of North London, where the data has nine co-ops, so
# the tours are the north, east, south and west of that area and share
# some stops. --replace writes nothing when a tour is unchanged.
tour() {
	local out
	out=$("$BIN" tour create --replace --db "$DB" --graph "$GRAPH" --source tours "$@")
	echo "${out%%$'\n'*}" # the summary line; the stop list follows it
}
area="The demo extract covers part of North London (Wood Green to Palmers Green); this tour takes the"
tour --id demo-north --title "North: Palmers Green to Friern Barnet" --region "Palmers Green, New Southgate and Friern Barnet, North London" \
	--description "$area co-ops in its northern half, from Palmers Green west to the Friern Barnet allotments, and back to Palmers Green." \
	--stops "coops-uk.R037035;coops-uk.R006158;coops-uk.R012871;coops-uk.R014212;coops-uk.R020824"
tour --id demo-east --title "East: Palmers Green to Wood Green" --region "Palmers Green, Wood Green and Bowes Park, North London" \
	--description "$area co-ops on its eastern side, from Palmers Green down through Wood Green to Myddleton Road in Bowes Park, in the quickest order." \
	--order optimize --stops "coops-uk.R037035;coops-uk.R012327;coops-uk.R032464;coops-uk.R035956"
tour --id demo-south --title "South: Bounds Green, Bowes Park and Wood Green" --region "Bounds Green, Bowes Park and Wood Green, North London" \
	--description "$area co-ops in its southern half, from the Cavendish Club in Bounds Green by Myddleton Road to Wood Green." \
	--stops "coops-uk.R013219;coops-uk.R035956;coops-uk.R032464;coops-uk.R012327"
tour --id demo-west --title "West: Friern Barnet, New Southgate and Bounds Green" --region "Friern Barnet, New Southgate and Bounds Green, North London" \
	--description "$area co-ops on its western side, from the Friern Barnet allotments by New Southgate to Bounds Green." \
	--stops "coops-uk.R014212;coops-uk.R012871;coops-uk.R006158;coops-uk.R013219"
