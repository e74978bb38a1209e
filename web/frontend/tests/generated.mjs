// Generated point collections for the tile tests and the benchmark: many
// points as a CSV file, imported with `coopmap import` like any source.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** LONE is a record placed alone, away from the crowds, to be found and clicked. */
export const LONE = { key: 'lone', name: 'Lone orchard co-op', lon: -3.4, lat: 56.9, sector: 'Food' };

/**
 * writePointsCSV writes n points as CSV (id, name, lon, lat, sector): half
 * in four dense crowds around cities, half spread over Great Britain, from
 * a fixed-seed generator (so every run is the same), and LONE first.
 */
export function writePointsCSV(file, n) {
  let seed = 42;
  const rand = () => { // mulberry32
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const cities = [[-0.12, 51.5], [-2.24, 53.48], [-4.25, 55.86], [-1.9, 52.48]];
  const sectors = ['Food', 'Housing', 'Retail', 'Energy'];
  const rows = ['id,name,lon,lat,sector', `${LONE.key},${LONE.name},${LONE.lon},${LONE.lat},${LONE.sector}`];
  for (let i = 1; i < n; i++) {
    let lon;
    let lat;
    if (i % 2) {
      const [cx, cy] = cities[((i - 1) / 2) % cities.length];
      lon = cx + gauss() * 0.15;
      lat = cy + gauss() * 0.1;
    } else {
      lon = -5.5 + rand() * 7;
      lat = 50.3 + rand() * 8.2;
    }
    if (Math.abs(lon - LONE.lon) < 0.1 && Math.abs(lat - LONE.lat) < 0.1) lat += 0.3; // keep LONE alone
    rows.push(`p${i},Generated point ${i},${lon.toFixed(5)},${lat.toFixed(5)},${sectors[i % 4]}`);
  }
  writeFileSync(file, `${rows.join('\n')}\n`);
}

/**
 * importPoints writes n points beside the GeoPackage db and imports them
 * as the overlay source id with bin (a startServer `extra`).
 */
export function importPoints(db, bin, { id, title, n }) {
  const file = join(dirname(db), `${id}.csv`);
  writePointsCSV(file, n);
  execFileSync(bin, ['import', '--db', db, '--source', id, '--kind', 'features', '--title', title,
    '--licence', 'CC0-1.0', '--attribution', `Generated points (${n})`, '--format', 'csv', '--show', '0', file],
  { stdio: ['ignore', 'ignore', 'inherit'] });
}
