// Package postcodes is the UK postcode table shipped with coopmap: the
// centroids of 12,435 postcode units from Ordnance Survey open data, used
// to place records that have a postcode but no coordinates and, by outward
// code ("N22"), to centre place searches.
//
// The table covers only the postcodes seen in Co-operatives UK's 2016 open
// data, not every UK postcode, so a miss means "not in this table", not
// "no such postcode". Northern Ireland (BT), the Channel Islands and the
// Isle of Man are absent: OS data does not cover them.
//
// The data is OS OpenData under the Open Government Licence v3.0; whatever
// is placed with it must carry Attribution. data/SOURCE.txt says where it
// came from and how to rebuild data/postcodes.csv.gz with
// postcodes/internal/gen.
package postcodes
