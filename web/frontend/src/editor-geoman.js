// Leaflet-Geoman's dist file extends the global L (L.PM, map.pm,
// layer.pm), so the bundled Leaflet is made global before it is
// evaluated: editor.js imports this module before Geoman.
import L from 'leaflet';

window.L = L;
