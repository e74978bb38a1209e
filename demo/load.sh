#!/usr/bin/env bash
# Loads the bundled demo data into a coopmap store. Idempotent: a second run
# reports "0 added, 0 updated, N unchanged, 0 removed" and changes nothing.
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
