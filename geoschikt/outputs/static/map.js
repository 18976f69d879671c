/* geoschikt map: builds the layers, the title block, the legend and each candidate's score
 * breakdown from the JSON data block. Text from OSM or user files (names, ids, notes, labels)
 * is only ever inserted with textContent, or escaped for Leaflet's controls, which take HTML. */
(function () {
  "use strict";
  const D = JSON.parse(document.getElementById("gs-data").textContent);
  const T = D.t;
  const PS = 1e5; // point scale (see webmap.py)
  const FS = 1e6; // footprint scale
  const OS = 1e5; // outline scale
  const locale = D.lang === "nl" ? "nl-NL" : "en-GB";
  const side = document.getElementById("gs-side");
  const C = D.cand;
  const n = C.rank.length;

  // ---- helpers ------------------------------------------------------------------------------
  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, (m, k) => (k in values ? String(values[k]) : m));
  }
  function escapeHtml(s) {
    const map = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
    return String(s).replace(/[&<>"']/g, (c) => map[c]);
  }
  function num(v, digits) {
    return Number(v).toLocaleString(locale, { maximumFractionDigits: digits || 0 });
  }
  function day(iso) {
    const d = /^\d{4}-\d{2}-\d{2}$/.test(iso || "") ? new Date(iso + "T12:00:00Z") : null;
    if (!d || isNaN(d)) return iso || "?";
    return d.toLocaleDateString(locale, { day: "numeric", month: "long", year: "numeric" });
  }
  function metres(m) {
    return num(m) + " m";
  }
  function classOf(s) {
    for (const c of D.classes) if (s !== null && s >= c[0]) return c;
    return D.classes[D.classes.length - 1];
  }
  function swatch(colour, extra) {
    const s = el("span", "gs-swatch" + (extra ? " " + extra : ""));
    s.style.background = colour;
    return s;
  }
  function swatchHtml(colour, shape) {
    // colours are #rrggbb, checked in Python
    return '<span class="gs-swatch ' + shape + '" style="background:' + colour + '"></span>';
  }
  function ring(flat, scale) {
    const out = [];
    let x = 0;
    let y = 0;
    for (let k = 0; k < flat.length; k += 2) {
      x += flat[k];
      y += flat[k + 1];
      out.push([y / scale, x / scale]);
    }
    return out;
  }
  function polygons(polys, scale) {
    return polys.map((p) => p.map((r) => ring(r, scale)));
  }
  function textTip(text) {
    const e = el("span", "gs-tip", text);
    return e;
  }
  function osmLink(id, text) {
    // a link to the object on openstreetmap.org for ids like "way/123"; plain text otherwise
    if (!/^(node|way|relation)\/\d+$/.test(id)) return document.createTextNode("");
    const a = el("a", "gs-osm", text);
    a.href = "https://www.openstreetmap.org/" + id;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    return a;
  }
  function infoLine(i) {
    // name (when the heading is the address), type, floor area, places, COA size class
    const parts = [];
    if (C.nm && C.nm[i] >= 0) parts.push(C.nm_t[C.nm[i]]);
    if (C.bt && C.bt[i] >= 0) parts.push("building=" + C.bt_t[C.bt[i]]);
    if (C.floor && C.floor[i] !== null) {
      parts.push(fill(T.floor_area, { m2: num(C.floor[i]), est: C.floor_est[i] ? T.estimated : "" }));
    }
    if (C.places && C.places[i] !== null) parts.push(fill(T.places_est, { n: num(C.places[i]) }));
    if (C.coa && C.coa[i] >= 0) parts.push("COA: " + C.coa_t[C.coa[i]]);
    return parts.join(" · ");
  }
  function candidateName(i) {
    if (C.label && C.label[i]) return C.label[i];
    if (C.id && C.id[i]) return C.id[i];
    return fill(T.candidate, { rank: C.rank[i] });
  }

  if (!window.L) {
    side.appendChild(el("p", "gs-error", T.no_leaflet));
    return;
  }

  // ---- sidebar: title block, details, legend ------------------------------------------------
  const detail = el("section", "gs-detail");
  detail.id = "gs-detail";

  function titleBlock() {
    const m = D.meta;
    document.getElementById("gs-title").textContent = T.title;
    const box = el("section", "gs-meta");
    box.id = "gs-meta";
    box.appendChild(el("h2", "gs-area", m.area));
    box.appendChild(
      el("p", null, fill(T.scored, { n: num(m.n), date: day(m.started), passing: num(m.n_pass) })),
    );
    const data = [fill(T.osm, { file: m.osm_file || "OSM", date: day(m.osm_date) })];
    if (m.reception_file) data.push(fill(T.reception_file, { file: m.reception_file }));
    if (m.balance_date) data.push(fill(T.balance_src, { date: m.balance_date }));
    box.appendChild(el("p", null, T.data + ": " + data.join("; ") + "."));
    box.appendChild(el("p", null, T.config + ": " + m.config.join(" + ") + ". "
      + (m.distance === "euclidean" ? T.distance_euclidean : T.distance_network)));
    if (m.not_assessed.length) {
      box.appendChild(el("p", null, fill(T.not_assessed, { list: m.not_assessed.join(", ") })));
    }
    if (m.outside_share) box.appendChild(el("p", "gs-blurred", fill(T.outside_share, { p: num(m.outside_share) })));
    if (m.dwellings) {
      box.appendChild(el("p", "gs-blurred", fill(T.dwellings, { n: num(m.dwellings.n), types: m.dwellings.types.join(", ") })));
    }
    if (D.blur_m > 0) {
      box.appendChild(el("p", "gs-blurred", fill(T.blurred, { m: num(D.blur_m) })));
    }
    return box;
  }

  function classLegend() {
    const box = el("div", "gs-legend leaflet-bar");
    box.id = "gs-legend";
    box.appendChild(el("h3", null, T.legend));
    const list = el("ul", "gs-keys");
    D.classes.forEach((c, k) => {
      const hi = k === 0 ? 100 : D.classes[k - 1][0];
      const li = el("li");
      li.appendChild(swatch(c[1], "gs-dot"));
      li.appendChild(document.createTextNode(c[0] + "–" + hi + "  " + c[2]));
      list.appendChild(li);
    });
    const li = el("li");
    li.appendChild(swatch(D.fail_colour, "gs-dot gs-small"));
    li.appendChild(document.createTextNode(T.failing));
    list.appendChild(li);
    box.appendChild(list);
    box.appendChild(el("p", "gs-note", T.legend_note));
    return box;
  }

  function explanation() {
    const box = el("section", "gs-explain");
    box.id = "gs-explain";
    box.appendChild(el("h3", null, T.how_scored));
    const how = el("ul", "gs-limits");
    for (const c of D.crit) {
      const parts = [c.curve, fill(T.weight_of, { w: num(c.weight, 2) })].filter(Boolean);
      how.appendChild(el("li", null, c.label + ": " + parts.join("; ")));
    }
    box.appendChild(how);
    const limits = D.crit.filter((c) => c.max_m !== null || c.min_m !== null);
    if (limits.length) {
      box.appendChild(el("h3", null, T.limits));
      const ul = el("ul", "gs-limits");
      for (const c of limits) ul.appendChild(el("li", null, c.label + " " + limitText(c)));
      box.appendChild(ul);
    }
    if (D.balance) box.appendChild(balanceLegend());
    return box;
  }

  function limitText(c) {
    if (c.max_m !== null) return "≤ " + metres(c.max_m);
    if (c.min_m !== null) return "≥ " + metres(c.min_m);
    return "";
  }

  side.appendChild(titleBlock());
  detail.appendChild(el("p", "gs-hint", T.click));
  side.appendChild(detail);
  side.appendChild(explanation());

  // ---- map and background -------------------------------------------------------------------
  const map = L.map("gs-map", { zoomControl: true, minZoom: 3 });
  map.attributionControl.setPrefix("Leaflet");
  map.attributionControl.addAttribution(
    '<a href="https://www.openstreetmap.org/copyright">© OpenStreetMap contributors</a>'
      + D.attribution.map((a) => " · " + escapeHtml(a)).join(""),
  );
  const tiles = L.tileLayer(D.tiles, { maxZoom: 19, crossOrigin: false });
  tiles.once("tileerror", () => {
    map.getContainer().classList.add("gs-no-tiles");
    const note = L.control({ position: "bottomleft" });
    note.onAdd = () => el("div", "gs-offline", T.tiles_offline);
    note.addTo(map);
  });
  tiles.addTo(map);
  const base = {};
  base["OpenStreetMap"] = tiles;
  base[escapeHtml(T.no_background)] = L.layerGroup();
  const overlays = {};

  function pane(name, z) {
    map.createPane(name).style.zIndex = String(z);
    return name;
  }
  pane("gs-bal", 350);
  pane("gs-area", 390);
  pane("gs-fp", 410);
  pane("gs-cand", 420);
  pane("gs-sel", 640);
  map.getPane("gs-sel").style.pointerEvents = "none";

  // ---- candidates ---------------------------------------------------------------------------
  // Up to D.svg_max candidates are Leaflet circle markers (SVG, one DOM element each); more are
  // drawn by PointsLayer on one canvas, batched per colour, with a pixel grid for hit-testing.
  const PASS_STYLE = { fillOpacity: 0.95, color: "#1b1b1b", weight: 1, radius: 5 };
  const FAIL_STYLE = { fillOpacity: 0.85, color: "#4d4d4d", weight: 0.8, radius: 3.5 };
  function latLngOf(i) {
    return L.latLng(C.y[i] / PS, C.x[i] / PS);
  }
  function fillOf(i) {
    return C.pass[i] === 1 ? classOf(C.suit[i])[1] : D.fail_colour;
  }

  const PointsLayer = L.Layer.extend({
    options: { pane: "gs-cand" },
    initialize(indices, style) {
      this._indices = indices;
      this._style = style;
      this._merc = indices.map((i) => L.Projection.SphericalMercator.project(latLngOf(i)));
    },
    onAdd(map) {
      this._canvas = L.DomUtil.create("canvas", "gs-points");
      this.getPane().appendChild(this._canvas);
      map.on("moveend resize", this._redraw, this);
      map.on("zoomstart", this._hide, this);
      this._redraw();
    },
    onRemove(map) {
      L.DomUtil.remove(this._canvas);
      map.off("moveend resize", this._redraw, this);
      map.off("zoomstart", this._hide, this);
      this._grid = null;
    },
    _hide() {
      this._canvas.style.visibility = "hidden";
    },
    _redraw() {
      const map = this._map;
      const size = map.getSize();
      const ratio = window.devicePixelRatio || 1;
      const canvas = this._canvas;
      L.DomUtil.setPosition(canvas, map.containerPointToLayerPoint([0, 0]));
      canvas.width = size.x * ratio;
      canvas.height = size.y * ratio;
      canvas.style.width = size.x + "px";
      canvas.style.height = size.y + "px";
      canvas.style.visibility = "";
      const ctx = canvas.getContext("2d");
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      // container pixel = mercator metres * scale - origin
      const scale = map.options.crs.scale(map.getZoom()) / (2 * Math.PI * 6378137);
      const origin = map.project(map.containerPointToLatLng([0, 0]));
      const half = 2 * Math.PI * 6378137 / 2;
      const r = this._style.radius;
      const batches = new Map();
      const grid = new Map();
      for (let k = this._indices.length - 1; k >= 0; k--) { // best last: drawn on top
        const m = this._merc[k];
        const x = (m.x + half) * scale - origin.x;
        const y = (half - m.y) * scale - origin.y;
        if (x < -r || y < -r || x > size.x + r || y > size.y + r) continue;
        const i = this._indices[k];
        const colour = fillOf(i);
        if (!batches.has(colour)) batches.set(colour, []);
        batches.get(colour).push(x, y);
        const cell = Math.floor(x / 16) + "," + Math.floor(y / 16);
        if (!grid.has(cell)) grid.set(cell, []);
        grid.get(cell).push(i, x, y);
      }
      const order = [D.fail_colour, ...D.classes.map((c) => c[1]).reverse()];
      ctx.lineWidth = this._style.weight;
      ctx.strokeStyle = this._style.color;
      ctx.globalAlpha = 1;
      for (const colour of order) {
        const pts = batches.get(colour);
        if (!pts) continue;
        ctx.beginPath();
        for (let k = 0; k < pts.length; k += 2) {
          ctx.moveTo(pts[k] + r, pts[k + 1]);
          ctx.arc(pts[k], pts[k + 1], r, 0, 2 * Math.PI);
        }
        ctx.fillStyle = colour;
        ctx.globalAlpha = this._style.fillOpacity;
        ctx.fill();
        ctx.globalAlpha = 1;
        ctx.stroke();
      }
      this._grid = grid;
    },
    hit(point) {
      // the nearest point within its radius + 3 px of a container point, best rank on ties
      if (!this._grid) return null;
      const reach = this._style.radius + 3;
      let best = null;
      let bestD = reach * reach;
      const cx = Math.floor(point.x / 16);
      const cy = Math.floor(point.y / 16);
      for (let gx = cx - 1; gx <= cx + 1; gx++) {
        for (let gy = cy - 1; gy <= cy + 1; gy++) {
          const items = this._grid.get(gx + "," + gy);
          if (!items) continue;
          for (let k = 0; k < items.length; k += 3) {
            const d = (items[k + 1] - point.x) ** 2 + (items[k + 2] - point.y) ** 2;
            if (d < bestD || (d === bestD && best !== null && items[k] < best)) {
              best = items[k];
              bestD = d;
            }
          }
        }
      }
      return best;
    },
  });

  const useCanvas = n > D.svg_max;
  const passIdx = [];
  const failIdx = [];
  for (let i = 0; i < n; i++) (C.pass[i] === 1 ? passIdx : failIdx).push(i);
  let passGroup;
  let failGroup;
  if (useCanvas) {
    passGroup = new PointsLayer(passIdx, PASS_STYLE);
    failGroup = new PointsLayer(failIdx, FAIL_STYLE);
    const tip = L.tooltip({ direction: "top", offset: [0, -6] });
    const hitAt = (e) => {
      for (const g of [passGroup, failGroup]) {
        const i = map.hasLayer(g) ? g.hit(e.containerPoint) : null;
        if (i !== null) return i;
      }
      return null;
    };
    map.on("mousemove", (e) => {
      const i = hitAt(e);
      map.getContainer().style.cursor = i === null ? "" : "pointer";
      if (i === null) {
        map.closeTooltip(tip);
      } else {
        tip.setLatLng(latLngOf(i)).setContent(candidateTip(i));
        if (!map.hasLayer(tip)) map.openTooltip(tip);
      }
    });
    map.on("click", (e) => {
      const i = hitAt(e);
      if (i !== null) show(i);
    });
  } else {
    const renderer = L.svg({ pane: "gs-cand", padding: 0.3 });
    passGroup = L.featureGroup();
    failGroup = L.featureGroup();
    for (let i = n - 1; i >= 0; i--) { // best candidates drawn last, on top
      const pass = C.pass[i] === 1;
      const style = Object.assign({}, pass ? PASS_STYLE : FAIL_STYLE, {
        renderer: renderer,
        fillColor: fillOf(i),
        className: pass ? "gs-cand" : "gs-cand gs-fail",
      });
      const m = L.circleMarker(latLngOf(i), style);
      m.gsIdx = i;
      (pass ? passGroup : failGroup).addLayer(m);
    }
  }

  // footprints are built the first time the map is zoomed in far enough to show them
  const fpGroup = L.featureGroup();
  const fpRenderer = L.svg({ pane: "gs-fp", padding: 0.3 });
  let fpBuilt = false;
  function buildFootprints() {
    fpBuilt = true;
    for (const [i, polys] of C.fp || []) {
      const pass = C.pass[i] === 1;
      const shape = L.polygon(polygons(polys, FS), {
        renderer: fpRenderer,
        fillColor: pass ? classOf(C.suit[i])[1] : D.fail_colour,
        fillOpacity: 0.5,
        color: pass ? "#333" : "#666",
        weight: 1,
        dashArray: pass ? null : "4 3",
        className: "gs-fp",
      });
      shape.gsIdx = i;
      fpGroup.addLayer(shape);
    }
  }
  function syncFootprints() {
    const show = map.getZoom() >= D.fp_zoom;
    if (show && !fpBuilt) buildFootprints();
    map.getPane("gs-fp").style.display = show ? "" : "none";
  }
  map.on("zoomend", syncFootprints);

  function candidateTip(i) {
    const s = C.suit[i] === null ? "–" : num(C.suit[i], 0);
    return textTip(candidateName(i) + " · #" + C.rank[i] + " · " + s + "/100");
  }
  for (const g of useCanvas ? [fpGroup] : [passGroup, failGroup, fpGroup]) {
    g.on("click", (e) => {
      L.DomEvent.stopPropagation(e);
      show(e.layer.gsIdx);
    });
    g.bindTooltip((layer) => candidateTip(layer.gsIdx), {
      sticky: true, direction: "top", offset: [0, -4],
    });
  }
  failGroup.addTo(map);
  passGroup.addTo(map);
  fpGroup.addTo(map);
  const nPass = C.pass.reduce((a, b) => a + b, 0);
  overlays[swatchHtml(D.classes[0][1], "gs-dot") + escapeHtml(T.cand_pass) + " (" + num(nPass) + ")"] = passGroup;
  overlays[swatchHtml(D.fail_colour, "gs-dot gs-small") + escapeHtml(T.cand_fail) + " (" + num(n - nPass) + ")"] = failGroup;
  if (C.fp && C.fp.length) {
    overlays[escapeHtml(fill(T.footprints, { n: num(C.fp.length), z: D.fp_zoom }))] = fpGroup;
  }

  // ---- the highlight set (e.g. selected sites): numbered squares above the candidates --------
  const setRank = new Map(); // candidate index -> its number in the set
  if (D.highlight && D.highlight.idx.length) {
    pane("gs-set", 630);
    const g = L.featureGroup();
    D.highlight.idx.forEach((i, k) => {
      setRank.set(i, k + 1);
      const mk = L.marker(latLngOf(i), {
        pane: "gs-set", keyboard: false,
        icon: L.divIcon({ className: "gs-set", html: String(k + 1), iconSize: [20, 20] }),
      });
      mk.gsIdx = i;
      g.addLayer(mk);
    });
    g.on("click", (e) => { L.DomEvent.stopPropagation(e); show(e.layer.gsIdx); });
    g.bindTooltip((layer) => candidateTip(layer.gsIdx), { direction: "top", offset: [0, -10] });
    g.addTo(map);
    overlays['<span class="gs-swatch gs-setkey"></span>' + escapeHtml(D.highlight.label)
      + " (" + num(D.highlight.idx.length) + ")"] = g;
  }

  // ---- features per criterion ---------------------------------------------------------------
  D.pois.forEach((p, j) => {
    const crit = D.crit[j];
    if (!p.x.length && crit.source === "reception") return; // the reception layer shows them
    const icon = L.divIcon({
      className: "gs-poi",
      html: '<span style="background:' + crit.colour + '"></span>',
      iconSize: [12, 12],
    });
    const g = L.featureGroup();
    for (let k = 0; k < p.x.length; k++) {
      const mk = L.marker([p.y[k] / PS, p.x[k] / PS], { icon: icon, keyboard: false });
      mk.gsName = p.name[k];
      g.addLayer(mk);
    }
    g.bindTooltip((layer) => textTip(crit.label + (layer.gsName ? ": " + layer.gsName : "")));
    g.addTo(map);
    overlays[swatchHtml(crit.colour, "gs-diamond") + escapeHtml(crit.label) + " (" + num(p.x.length) + ")"] = g;
  });

  // ---- existing reception -------------------------------------------------------------------
  if (D.reception && D.reception.x.length) {
    const R = D.reception;
    const g = L.featureGroup();
    for (let k = 0; k < R.x.length; k++) {
      const cap = R.cap[k];
      const ll = [R.y[k] / PS, R.x[k] / PS];
      const radius = cap ? Math.max(7, Math.min(30, 3 * Math.sqrt(cap / 10))) : 7;
      const c = L.circleMarker(ll, {
        pane: "gs-area", radius: radius, color: "#7b3294", weight: 2, fillColor: "#c2a5cf",
        fillOpacity: 0.55, className: "gs-reception",
      });
      const places = cap === null ? "" : fill(T.places, { n: num(cap) });
      c.gsText = [R.name[k], places].filter(Boolean).join(": ") || T.reception;
      g.addLayer(c);
      if (cap !== null && R.x.length <= 300) {
        g.addLayer(L.marker(ll, {
          icon: L.divIcon({ className: "gs-cap", html: String(Math.round(Number(cap))), iconSize: [36, 14] }),
          interactive: false, keyboard: false,
        }));
      }
    }
    g.bindTooltip((layer) => textTip(layer.gsText || ""));
    g.addTo(map);
    overlays[swatchHtml("#c2a5cf", "gs-dot") + escapeHtml(T.reception) + " (" + num(R.x.length) + ")"] = g;
  }

  // ---- area and municipal balance -----------------------------------------------------------
  const area = L.featureGroup();
  for (const polys of D.area) {
    if (!polys.length) continue;
    L.polygon(polygons(polys, OS), {
      pane: "gs-area", fill: false, color: "#222", weight: 2, dashArray: "6 4", interactive: false,
    }).addTo(area);
  }
  area.addTo(map);
  overlays[swatchHtml("transparent", "gs-line") + escapeHtml(T.area_layer)] = area;
  if (D.extent && D.extent.length) {
    // where the OSM data ends: outside it nothing is scored
    const extent = L.featureGroup();
    for (const polys of D.extent) {
      if (!polys.length) continue;
      L.polygon(polygons(polys, OS), {
        pane: "gs-area", fill: false, color: "#b2182b", weight: 2, dashArray: "2 6", interactive: false,
      }).addTo(extent);
    }
    extent.addTo(map);
    overlays[swatchHtml("transparent", "gs-line") + escapeHtml(T.extent_layer)] = extent;
  }

  function balanceColour(v) {
    const B = D.balance;
    if (v === null) return "#e0e0e0";
    if (v <= B.breaks[0]) return B.colours[0];
    for (let k = B.breaks.length - 1; k >= 1; k--) if (v > B.breaks[k]) return B.colours[k + 1];
    return B.colours[1];
  }
  function balanceLegend() {
    const B = D.balance;
    const box = el("div", "gs-balance-legend");
    box.appendChild(el("h3", null, T.balance));
    const ul = el("ul", "gs-keys");
    const labels = ["0"];
    for (let k = 1; k < B.breaks.length; k++) labels.push(num(B.breaks[k - 1], 1) + "–" + num(B.breaks[k], 1));
    labels.push("> " + num(B.breaks[B.breaks.length - 1], 1));
    labels.forEach((text, k) => {
      const li = el("li");
      li.appendChild(swatch(B.colours[k]));
      li.appendChild(document.createTextNode(text));
      ul.appendChild(li);
    });
    const none = el("li");
    none.appendChild(swatch("#e0e0e0"));
    none.appendChild(document.createTextNode(T.no_data));
    ul.appendChild(none);
    box.appendChild(ul);
    return box;
  }
  if (D.balance) {
    const B = D.balance;
    const g = L.featureGroup();
    B.shape.forEach((polys, k) => {
      if (!polys.length) return;
      const p = L.polygon(polygons(polys, OS), {
        pane: "gs-bal", fillColor: balanceColour(B.value[k]), fillOpacity: 0.6, color: "#555",
        weight: 0.7, className: "gs-balance",
      });
      p.gsK = k;
      g.addLayer(p);
    });
    g.bindTooltip((layer) => {
      const k = layer.gsK;
      const v = B.value[k] === null ? T.no_data : num(B.value[k], 1);
      return textTip(fill(T.balance_tip, { name: B.name[k] || B.code[k] || "", value: v, date: B.date || "?" }));
    }, { sticky: true });
    overlays[swatchHtml(B.colours[3], "gs-box") + escapeHtml(T.balance)] = g; // off by default
  }

  L.control.layers(base, overlays, { collapsed: window.innerWidth < 700, position: "topright" }).addTo(map);
  L.control.scale({ imperial: false }).addTo(map);
  const legendControl = L.control({ position: "bottomleft" });
  legendControl.onAdd = () => {
    const box = classLegend();
    L.DomEvent.disableClickPropagation(box);
    return box;
  };
  legendControl.addTo(map);

  // ---- the breakdown of one candidate -------------------------------------------------------
  const noteMaps = [];
  function noteOf(j, i) {
    if (!noteMaps[j]) noteMaps[j] = new Map(C.note[j]);
    const code = noteMaps[j].get(i);
    return code === undefined ? null : C.note_t[j][code];
  }
  let cells = null;
  function sameCell(i) {
    if (!cells) {
      cells = new Map();
      for (let k = 0; k < n; k++) {
        const key = C.x[k] + "," + C.y[k];
        if (!cells.has(key)) cells.set(key, []);
        cells.get(key).push(k);
      }
    }
    return cells.get(C.x[i] + "," + C.y[i]).filter((k) => k !== i);
  }

  function distanceOnly(d) {
    return D.blur_m > 0 ? fill(T.approx, { d: metres(d) }) : metres(d);
  }
  function distanceText(c, j, i) {
    const d = C.d[j][i];
    const v = C.v[j] ? C.v[j][i] : null;
    if (c.measure !== "distance" && c.assessed && v !== null) {
      const text = fill(c.measure === "pressure" ? T.pressure : T.value, { v: num(v, 1) });
      return d === null ? text : text + "; " + fill(T.at_distance, { d: distanceOnly(d) });
    }
    if (d !== null) return distanceOnly(d);
    if (!c.assessed) return c.why ? T.not_assessed_cell + ": " + c.why : T.not_assessed_cell;
    const note = noteOf(j, i) || "";
    const off = /^more than (\d+) m from the \w+ network/.exec(note);
    if (off) return fill(T.off_network, { m: num(Number(off[1])) });
    if (note && !/^no /.test(note)) return note;
    return fill(T.none_within, { m: num(c.reach_m) });
  }

  function breakdownTable(i) {
    const table = el("table", "gs-breakdown");
    const head = el("tr");
    head.appendChild(el("th", null, T.criterion));
    const allDistances = D.crit.every((c) => c.measure === "distance");
    for (const h of [allDistances ? T.distance : T.measured, T.score, T.weight]) {
      head.appendChild(el("th", "gs-num", h));
    }
    head.appendChild(el("th", null, T.limit));
    table.appendChild(el("thead")).appendChild(head);
    const body = el("tbody");
    D.crit.forEach((c, j) => {
      const tr = el("tr");
      const name = el("td", "gs-crit");
      name.appendChild(swatch(c.colour, "gs-diamond"));
      name.appendChild(document.createTextNode(c.label));
      const nearCode = C.near ? C.near[j][i] : -1;
      if (nearCode >= 0) {
        const near = el("small", null, fill(T.nearest, { name: C.near_t[j][nearCode] }));
        const idCode = C.near_id ? C.near_id[j][i] : -1;
        if (idCode >= 0) near.appendChild(osmLink(C.near_id_t[j][idCode], " ↗"));
        name.appendChild(near);
      }
      tr.appendChild(name);
      tr.appendChild(el("td", "gs-num", distanceText(c, j, i)));
      const s = C.s[j][i];
      tr.appendChild(el("td", "gs-num", c.assessed && s !== null ? num(s) : "–"));
      tr.appendChild(el("td", "gs-num", num(c.weight, 2)));
      const lim = el("td", "gs-lim");
      if (c.max_m !== null || c.min_m !== null) {
        const failed = (C.fail[i] >> j) & 1;
        lim.appendChild(document.createTextNode(limitText(c)));
        lim.appendChild(el("span", failed ? "gs-bad" : "gs-ok", (failed ? "✗ " : "✓ ") + (failed ? T.not_met : T.met)));
      } else {
        lim.textContent = "–";
      }
      tr.appendChild(lim);
      body.appendChild(tr);
    });
    table.appendChild(body);
    return table;
  }

  function extraTable(i) {
    // facts other commands add to the panel (webmap.PanelColumn)
    const table = el("table", "gs-extra");
    for (const x of D.extra) {
      const v = x.v[i];
      const tr = el("tr");
      tr.appendChild(el("th", null, x.label));
      tr.appendChild(el("td", typeof v === "number" ? "gs-num" : null,
        v === null ? "–" : typeof v === "number" ? num(v, x.digits) : v));
      table.appendChild(tr);
    }
    return table;
  }

  const selection = L.circleMarker([0, 0], {
    pane: "gs-sel", radius: 11, color: "#000", weight: 3, fill: false, interactive: false,
  });

  function show(i) {
    detail.replaceChildren();
    const close = el("button", "gs-close", "×");
    close.type = "button";
    close.title = T.close;
    close.addEventListener("click", () => {
      detail.replaceChildren(el("p", "gs-hint", T.click));
      selection.remove();
    });
    detail.appendChild(close);
    detail.appendChild(el("h2", "gs-name", candidateName(i)));
    const info = infoLine(i);
    if (info) detail.appendChild(el("p", "gs-info", info));
    if (C.id && C.label && C.label[i]) {
      const idLine = el("p", "gs-id", C.id[i] + " ");
      idLine.appendChild(osmLink(C.id[i], T.on_osm));
      detail.appendChild(idLine);
    }
    const s = C.suit[i];
    const cls = classOf(s);
    const head = el("p", "gs-score");
    head.appendChild(swatch(C.pass[i] ? cls[1] : D.fail_colour, "gs-dot"));
    head.appendChild(document.createTextNode(
      fill(T.rank, { rank: C.rank[i], n: num(n) }) + " · "
        + fill(T.suitability, { s: s === null ? "–" : num(s, 0), cls: cls[2] }),
    ));
    detail.appendChild(head);
    const failed = D.crit.filter((c, j) => (C.fail[i] >> j) & 1).map((c) => c.label);
    const outside = C.cov && C.cov_t[C.cov[i]] === "none";
    if (outside) detail.appendChild(el("p", "gs-status gs-bad", T.outside_data));
    else detail.appendChild(C.pass[i]
      ? el("p", "gs-status gs-ok", T.passes_all)
      : el("p", "gs-status gs-bad", fill(T.fails_list, { list: failed.join(", ") || "?" })));
    if (C.cov && C.cov_t[C.cov[i]] === "partial") detail.appendChild(el("p", "gs-note", T.partial_data));
    if (setRank.has(i)) {
      detail.appendChild(el("p", "gs-inset", fill(T.in_set, { k: setRank.get(i), set: D.highlight.label })));
    }
    detail.appendChild(breakdownTable(i));
    if (D.extra.length) detail.appendChild(extraTable(i));
    detail.appendChild(el("p", "gs-note", T.total_note));
    if (D.blur_m > 0) {
      const others = sameCell(i);
      if (others.length) {
        detail.appendChild(el("p", "gs-note", fill(T.same_cell, { m: num(D.blur_m) })));
        const list = el("div", "gs-cell");
        for (const k of others.slice(0, 30)) {
          const b = el("button", "gs-other", "#" + C.rank[k] + " (" + (C.suit[k] === null ? "–" : num(C.suit[k], 0)) + ")");
          b.type = "button";
          b.addEventListener("click", () => show(k));
          list.appendChild(b);
        }
        if (others.length > 30) list.appendChild(el("span", "gs-note", "+" + num(others.length - 30)));
        detail.appendChild(list);
      }
    }
    selection.setLatLng(latLngOf(i)).addTo(map);
    detail.scrollIntoView({ block: "nearest" });
  }

  // ---- initial view -------------------------------------------------------------------------
  function dataBounds() {
    if (n) {
      let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
      for (let i = 0; i < n; i++) {
        if (C.x[i] < x0) x0 = C.x[i];
        if (C.x[i] > x1) x1 = C.x[i];
        if (C.y[i] < y0) y0 = C.y[i];
        if (C.y[i] > y1) y1 = C.y[i];
      }
      return L.latLngBounds([y0 / PS, x0 / PS], [y1 / PS, x1 / PS]);
    }
    return area.getLayers().length ? area.getBounds() : L.latLngBounds([[50.7, 3.3], [53.6, 7.2]]);
  }
  map.fitBounds(dataBounds(), { padding: [24, 24], maxZoom: 17 });
  syncFootprints();

  window.geoschikt = { map: map, show: show, latLng: latLngOf, count: n, canvas: useCanvas };
  const root = document.documentElement;
  root.dataset.gsInitMs = performance.now().toFixed(1);
  requestAnimationFrame(() => setTimeout(() => {
    root.dataset.gsReadyMs = performance.now().toFixed(1);
  }, 0));
})();
