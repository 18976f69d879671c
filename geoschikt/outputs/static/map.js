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
  // runs scored for several profiles: "#profile=NAME" shows that profile's scores and ranks
  const profiles = D.profiles || [];
  const wanted = decodeURIComponent((location.hash.match(/profile=([^&]+)/) || [])[1] || "");
  const profile = profiles.find((p) => p.name === wanted) || profiles[0];
  if (profile) Object.assign(C, { suit: profile.suit, rank: profile.rank, pass: profile.pass });
  // live weights: the current suitability, rank and rank order (the run's until weights change)
  const RUN_W = profile ? profile.w.slice() : D.crit.map((c) => c.weight);
  const W = RUN_W.slice();
  let SUIT = C.suit;
  let RANK = C.rank;
  // candidates outside the data: never scored or ranked, whatever the weights
  const OUTSIDE = Array.from({ length: C.rank.length }, (_, i) => !!(C.cov && C.cov_t[C.cov[i]] === "none"));
  let ORDER = null; // candidate indices best first; null = the data's own order (the run's)

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
  function known(s) {
    return s !== null && s !== undefined && !Number.isNaN(s);
  }
  function suitText(i) {
    return known(SUIT[i]) ? num(SUIT[i], 0) : "–";
  }
  function classOf(s) {
    for (const c of D.classes) if (known(s) && s >= c[0]) return c;
    return D.classes[D.classes.length - 1];
  }
  function swatch(colour, extra) {
    const s = el("span", "gs-swatch" + (extra ? " " + extra : ""));
    s.style.background = colour;
    return s;
  }
  // facility symbols: one shape per criterion, black with a white edge (SVG, 14 x 14)
  const SHAPES = {
    square: '<rect x="3" y="3" width="8" height="8"/>',
    triangle: '<path d="M7 1.8 12.6 11.8H1.4Z"/>',
    diamond: '<path d="M7 1 13 7 7 13 1 7Z"/>',
    plus: '<path d="M5 1.5h4v3.5h3.5v4H9v3.5H5V9H1.5V5H5Z"/>',
    star: '<path d="M7 .8 8.8 5h4.5L9.7 7.9 11 12.6 7 9.9 3 12.6 4.3 7.9.7 5h4.5Z"/>',
    hexagon: '<path d="M7 1 12.2 4v6L7 13 1.8 10V4Z"/>',
    cross: '<path d="M3.5 1.4 7 4.9l3.5-3.5 2.1 2.1L9.1 7l3.5 3.5-2.1 2.1L7 9.1l-3.5 3.5-2.1-2.1L4.9 7 1.4 3.5Z"/>',
    circle: '<circle cx="7" cy="7" r="4.5"/>',
    pentagon: '<path d="M7 1 13 5.6 10.7 12.6H3.3L1 5.6Z"/>',
  };
  function symbolHtml(shape) {
    // shapes are names checked in Python; "<shape>-o" is the same shape hollow (white, dark edge)
    const hollow = shape.endsWith("-o");
    const base = hollow ? shape.slice(0, -2) : shape;
    const paint = hollow ? 'fill="#fff" stroke="#1b1b1b"' : 'fill="#1b1b1b" stroke="#fff"';
    return '<svg class="gs-sym" viewBox="0 0 14 14" width="14" height="14" aria-hidden="true">'
      + "<g " + paint + ' stroke-width="1.2">' + SHAPES[base] + "</g></svg>";
  }
  function symbol(shape) {
    const span = el("span", "gs-symwrap");
    span.innerHTML = symbolHtml(shape); // fixed markup from SHAPES, no data
    return span;
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
    // building type, floor area, places, COA size class
    const parts = [];
    if (C.bt && C.bt[i] >= 0) parts.push("building=" + C.bt_t[C.bt[i]]);
    if (C.floor && C.floor[i] !== null) {
      parts.push(fill(T.floor_area, { m2: num(C.floor[i]), est: C.floor_est[i] ? T.estimated : "" }));
    }
    if (C.places && C.places[i] !== null) parts.push(fill(T.places_est, { n: num(C.places[i]) }));
    if (C.coa && C.coa[i] >= 0) parts.push(C.coa_t[C.coa[i]]); // each class text names COA
    return parts.join(" · ");
  }
  function candidateName(i) {
    if (C.label && C.label[i]) return C.label[i];
    if (C.id && C.id[i]) return C.id[i];
    return fill(T.candidate, { rank: RANK[i] });
  }

  // ---- scores and live weights (as geoschikt.scoring does it) ----------------------------------
  // S[j][i]: candidate i's score on criterion j. With D.scores.exact these are the run's own
  // unrounded float64 scores, so the weighted mean below equals Python's bit for bit.
  function decodeF64(b64) {
    const bin = atob(b64);
    const view = new DataView(new ArrayBuffer(bin.length));
    for (let k = 0; k < bin.length; k++) view.setUint8(k, bin.charCodeAt(k));
    const out = new Float64Array(bin.length / 8);
    for (let k = 0; k < out.length; k++) out[k] = view.getFloat64(8 * k, true);
    return out;
  }
  const S = D.scores.s.map((col) => (D.scores.exact ? decodeF64(col) : col));
  function rint(y) {
    // round half to even, as numpy.round
    const r = Math.round(y);
    return r - y === 0.5 && r % 2 !== 0 ? r - 1 : r;
  }
  function tableScore(s) {
    // a score as the run's table shows it (0.1), then as a whole number
    return rint(rint(s * 10) / 10);
  }
  function suitabilityWith(w) {
    // scoring.score: the weighted mean of the assessed criteria's scores, rounded to 0.1
    let total = 0;
    D.crit.forEach((c, j) => {
      if (c.assessed) total += w[j];
    });
    const out = new Float64Array(n);
    if (!(total > 0)) return out.fill(NaN);
    const acc = new Float64Array(n);
    D.crit.forEach((c, j) => {
      if (!c.assessed) return;
      const share = w[j] / total;
      const s = S[j];
      for (let i = 0; i < n; i++) acc[i] += share * (s[i] || 0);
    });
    for (let i = 0; i < n; i++) out[i] = OUTSIDE[i] ? NaN : rint(acc[i] * 10) / 10;
    return out;
  }
  let idOrder = null; // each candidate's place in candidate_id order: the table's tie-break
  function makeIdOrder() {
    if (!idOrder) {
      idOrder = new Uint32Array(n);
      const byId = Array.from({ length: n }, (_, i) => i);
      if (C.id) byId.sort((a, b) => (C.id[a] < C.id[b] ? -1 : C.id[a] > C.id[b] ? 1 : a - b));
      byId.forEach((i, k) => { idOrder[i] = k; });
    }
  }
  function ranksOf(suit) {
    // scoring.rank: passing first, then by suitability; equal values share the lowest rank
    makeIdOrder();
    const key = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      key[i] = OUTSIDE[i] ? 2000 : (C.pass[i] === 1 ? 0 : 1000) - (Number.isNaN(suit[i]) ? -1 : suit[i]);
    }
    // sort (key, id order) as one number: keys are whole tenths in [-100, 1001]
    const M = 2 ** Math.ceil(Math.log2(n + 1));
    const packed = new Float64Array(n);
    for (let i = 0; i < n; i++) packed[i] = (Math.round(key[i] * 10) + 1000) * M + idOrder[i];
    packed.sort();
    const byId = new Uint32Array(n); // idOrder -> candidate
    for (let i = 0; i < n; i++) byId[idOrder[i]] = i;
    const order = new Uint32Array(n);
    for (let k = 0; k < n; k++) order[k] = byId[packed[k] % M];
    const rank = new Array(n);
    for (let k = 0; k < n; k++) {
      const i = order[k];
      rank[i] = k > 0 && key[i] === key[order[k - 1]] ? rank[order[k - 1]] : k + 1;
      if (OUTSIDE[i]) rank[i] = null; // outside the data: no rank (scoring.score)
    }
    return { rank: rank, order: order };
  }
  function orderOf(k) {
    return ORDER ? ORDER[k] : k;
  }

  if (!window.L) {
    side.appendChild(el("p", "gs-error", T.no_leaflet));
    return;
  }

  // ---- sidebar: title block, details, legend ------------------------------------------------
  const changedNote = el("p", "gs-changed", T.weights_changed);
  const legendChanged = el("p", "gs-changed", T.weights_changed);
  const printChanged = el("p", "gs-changed", T.weights_changed);
  const link = el("a", "gs-link", T.weights_link);
  const detail = el("section", "gs-detail");
  detail.id = "gs-detail";

  function titleBlock() {
    const m = D.meta;
    document.getElementById("gs-title").textContent = D.title;
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
    if (profiles.length) {
      const p = el("p", "gs-profile", T.profile + ": ");
      const pick = el("select");
      pick.id = "gs-profile";
      for (const x of profiles) {
        const o = el("option", null, x.name);
        o.value = x.name;
        o.selected = x === profile;
        pick.appendChild(o);
      }
      pick.addEventListener("change", () => {
        location.hash = "profile=" + encodeURIComponent(pick.value);
        location.reload();
      });
      p.appendChild(pick);
      box.appendChild(p);
    }
    return box;
  }

  function classLegend() {
    // on the map: a <details> that starts closed on a phone
    const box = el("details", "gs-legend leaflet-bar");
    box.id = "gs-legend";
    box.open = window.innerWidth >= 700;
    box.appendChild(el("summary", null, T.legend));
    legendKeys(box, legendChanged);
    return box;
  }
  function printLegend() {
    // in the side panel, shown only on paper (the map's own controls are hidden there)
    const box = el("section", "gs-print-legend");
    box.id = "gs-print-legend";
    box.appendChild(el("h3", null, T.legend));
    legendKeys(box, printChanged);
    return box;
  }
  function legendKeys(box, changed) {
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
    changed.hidden = true;
    box.appendChild(changed);
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

  const topBox = el("section", "gs-top");
  topBox.id = "gs-top";
  const weightsBox = el("details", "gs-weights");
  weightsBox.id = "gs-weights";
  const sheetToggle = el("button", "gs-sheet-toggle", T.sheet_more);
  sheetToggle.type = "button";
  sheetToggle.setAttribute("aria-expanded", "false");
  sheetToggle.addEventListener("click", () => {
    const open = document.documentElement.classList.toggle("gs-sheet-open");
    sheetToggle.textContent = open ? T.sheet_less : T.sheet_more;
    sheetToggle.setAttribute("aria-expanded", String(open));
    setTimeout(() => map.invalidateSize({ animate: false }), 0);
  });
  side.insertBefore(sheetToggle, side.firstChild);
  side.appendChild(titleBlock());
  side.appendChild(topBox);
  side.appendChild(printLegend());
  detail.appendChild(el("p", "gs-hint", T.click));
  side.appendChild(detail);
  side.appendChild(weightsBox);
  side.appendChild(explanation());

  // ---- map and background -------------------------------------------------------------------
  const map = L.map("gs-map", { zoomControl: true, minZoom: 3, zoomSnap: 0.25 });
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
    return C.pass[i] === 1 ? classOf(SUIT[i])[1] : D.fail_colour;
  }

  const PointsLayer = L.Layer.extend({
    options: { pane: "gs-cand" },
    initialize(indices, style) {
      this._indices = indices; // best first
      this._style = style;
      this._merc = new Float64Array(2 * n); // spherical mercator metres per candidate
      for (const i of indices) {
        const m = L.Projection.SphericalMercator.project(latLngOf(i));
        this._merc[2 * i] = m.x;
        this._merc[2 * i + 1] = m.y;
      }
    },
    setIndices(indices) {
      this._indices = indices;
      if (this._map) this._redraw();
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
      this._visible = null;
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
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      // container pixel = mercator metres * scale - origin
      const scale = map.options.crs.scale(map.getZoom()) / (2 * Math.PI * 6378137);
      const origin = map.project(map.containerPointToLatLng([0, 0]));
      const half = 2 * Math.PI * 6378137 / 2;
      const r = this._style.radius;
      const xs = this._xs || (this._xs = new Float32Array(n));
      const ys = this._ys || (this._ys = new Float32Array(n));
      const visible = [];
      for (let k = 0; k < this._indices.length; k++) { // best first
        const i = this._indices[k];
        const x = (this._merc[2 * i] + half) * scale - origin.x;
        const y = (half - this._merc[2 * i + 1]) * scale - origin.y;
        if (x < -r || y < -r || x > size.x + r || y > size.y + r) continue;
        xs[i] = x;
        ys[i] = y;
        visible.push(i);
      }
      // each colour's circle is drawn once; its pixels are then blended into one image in
      // JavaScript (premultiplied "source over"): far cheaper than 50,000 canvas calls
      const w = canvas.width;
      const sheet = this._sheet(ratio, w);
      const h = canvas.height;
      const img = ctx.createImageData(w, h);
      const buf = img.data;
      const u32 = new Uint32Array(buf.buffer);
      for (let k = visible.length - 1; k >= 0; k--) { // best last: drawn on top
        const i = visible[k];
        const sp = sheet.sprites.get(fillOf(i));
        const cx = Math.round(xs[i] * ratio) - sheet.half;
        const cy = Math.round(ys[i] * ratio) - sheet.half;
        const inside = cx >= 0 && cy >= 0 && cx + sheet.size <= w && cy + sheet.size <= h;
        const base = cy * w + cx;
        if (inside) { // opaque pixels: one write each
          for (let q = 0; q < sp.nSolid; q++) u32[base + sp.solid[q]] = sp.solidValue[q];
        } else {
          for (let q = 0; q < sp.nSolid; q++) {
            const X = cx + sp.sx[q];
            const Y = cy + sp.sy[q];
            if (X >= 0 && Y >= 0 && X < w && Y < h) u32[Y * w + X] = sp.solidValue[q];
          }
        }
        for (let q = 0; q < sp.n; q++) { // edge pixels: blended
          const X = cx + sp.dx[q];
          const Y = cy + sp.dy[q];
          if (!inside && (X < 0 || Y < 0 || X >= w || Y >= h)) continue;
          const o = (Y * w + X) * 4;
          const keep = (255 - sp.rgba[4 * q + 3]) / 255;
          buf[o] = sp.rgba[4 * q] + buf[o] * keep;
          buf[o + 1] = sp.rgba[4 * q + 1] + buf[o + 1] * keep;
          buf[o + 2] = sp.rgba[4 * q + 2] + buf[o + 2] * keep;
          buf[o + 3] = sp.rgba[4 * q + 3] + buf[o + 3] * keep;
        }
      }
      for (let o = 0; o < buf.length; o += 4) { // premultiplied -> straight alpha
        const a = buf[o + 3];
        if (a === 0 || a === 255) continue;
        buf[o] = (buf[o] * 255) / a;
        buf[o + 1] = (buf[o + 1] * 255) / a;
        buf[o + 2] = (buf[o + 2] * 255) / a;
      }
      ctx.putImageData(img, 0, 0);
      this._visible = visible;
      this._grid = null; // built on the first hit test
    },
    _sheet(ratio, width) {
      // per fill colour the premultiplied pixels of its circle (offsets and RGBA), drawn once
      const cached = this._sheetOf;
      if (cached && cached.ratio === ratio && cached.width === width) return cached;
      const st = this._style;
      const half = Math.ceil((st.radius + st.weight) * ratio) + 1;
      const size = 2 * half + 1;
      const canvas = document.createElement("canvas");
      canvas.width = canvas.height = size;
      const c = canvas.getContext("2d", { willReadFrequently: true });
      const sprites = new Map();
      for (const colour of [D.fail_colour, ...D.classes.map((cl) => cl[1])]) {
        c.clearRect(0, 0, size, size);
        c.beginPath();
        c.arc(half + 0.5, half + 0.5, st.radius * ratio, 0, 2 * Math.PI);
        c.fillStyle = colour; // opaque on the canvas: most pixels are then single writes
        c.fill();
        c.lineWidth = st.weight * ratio;
        c.strokeStyle = st.color;
        c.stroke();
        const px = c.getImageData(0, 0, size, size).data;
        const dx = [];
        const dy = [];
        const rgba = [];
        const sx = [];
        const sy = [];
        const solidValue = [];
        const u32 = new Uint32Array(px.buffer);
        for (let y = 0; y < size; y++) {
          for (let x = 0; x < size; x++) {
            const o = (y * size + x) * 4;
            const a = px[o + 3];
            if (!a) continue;
            if (a === 255) {
              sx.push(x);
              sy.push(y);
              solidValue.push(u32[o / 4]);
              continue;
            }
            dx.push(x);
            dy.push(y);
            rgba.push((px[o] * a) / 255, (px[o + 1] * a) / 255, (px[o + 2] * a) / 255, a);
          }
        }
        sprites.set(colour, {
          n: dx.length, dx: Int32Array.from(dx), dy: Int32Array.from(dy), rgba: Float32Array.from(rgba),
          nSolid: sx.length, sx: Int32Array.from(sx), sy: Int32Array.from(sy),
          solidValue: Uint32Array.from(solidValue),
          solid: Int32Array.from(sx.map((x, q) => sy[q] * width + x)),
        });
      }
      this._sheetOf = { ratio: ratio, width: width, half: half, size: size, sprites: sprites };
      return this._sheetOf;
    },
    _buildGrid() {
      const grid = new Map();
      for (const i of this._visible || []) {
        const cell = (Math.floor(this._xs[i] / 16) + 1) * 8192 + Math.floor(this._ys[i] / 16) + 1;
        if (!grid.has(cell)) grid.set(cell, []);
        grid.get(cell).push(i, this._xs[i], this._ys[i]);
      }
      return grid;
    },
    hit(point) {
      // the nearest point within its radius + 3 px of a container point, best rank on ties
      if (!this._visible) return null;
      if (!this._grid) this._grid = this._buildGrid();
      const reach = this._style.radius + 3;
      let best = null;
      let bestD = reach * reach;
      const cx = Math.floor(point.x / 16);
      const cy = Math.floor(point.y / 16);
      for (let gx = cx - 1; gx <= cx + 1; gx++) {
        for (let gy = cy - 1; gy <= cy + 1; gy++) {
          const items = this._grid.get((gx + 1) * 8192 + gy + 1);
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
  let fpDirty = false; // weights changed since the footprints were coloured
  function buildFootprints() {
    fpBuilt = true;
    for (const [i, polys] of C.fp || []) {
      const pass = C.pass[i] === 1;
      const shape = L.polygon(polygons(polys, FS), {
        renderer: fpRenderer,
        fillColor: fillOf(i),
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
    else if (show && fpDirty) fpGroup.eachLayer((p) => p.setStyle({ fillColor: fillOf(p.gsIdx) }));
    if (show) fpDirty = false;
    map.getPane("gs-fp").style.display = show ? "" : "none";
  }
  map.on("zoomend", syncFootprints);

  function candidateTip(i) {
    return textTip(candidateName(i) + " · #" + RANK[i] + " · " + suitText(i) + "/100");
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
    if (!p.x.length) return; // none in the data (the sidebar says so); reception has its own layer
    const icon = L.divIcon({
      className: "gs-poi",
      html: symbolHtml(crit.shape),
      iconSize: [14, 14],
    });
    const g = L.featureGroup();
    for (let k = 0; k < p.x.length; k++) {
      const mk = L.marker([p.y[k] / PS, p.x[k] / PS], { icon: icon, keyboard: false });
      mk.gsName = p.name[k];
      g.addLayer(mk);
    }
    g.bindTooltip((layer) => textTip(crit.label + (layer.gsName ? ": " + layer.gsName : "")));
    // drawn: what residents walk to in the total; listed, shown when ticked: criteria weighted 0
    // and what a site should be away from (open water, busy roads: on the background map too)
    if (crit.weight > 0 && crit.direction !== "away") g.addTo(map);
    overlays[symbolHtml(crit.shape) + escapeHtml(crit.label) + " (" + num(p.x.length) + ")"] = g;
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
        pane: "gs-area", radius: radius, color: "#1b1b1b", weight: 2, dashArray: "4 3",
        fillColor: "#ffffff", fillOpacity: 0.5, className: "gs-reception",
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
    overlays['<span class="gs-swatch gs-dot gs-recep"></span>' + escapeHtml(T.reception) + " (" + num(R.x.length) + ")"] = g;
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

  const manyLayers = Object.keys(overlays).length > 12; // a long list would cover the map
  L.control.layers(base, overlays, {
    collapsed: window.innerWidth < 700 || manyLayers, position: "topright",
  }).addTo(map);
  L.control.scale({ imperial: false }).addTo(map);
  const legendControl = L.control({ position: "bottomleft" });
  legendControl.onAdd = () => {
    const box = classLegend();
    L.DomEvent.disableClickPropagation(box);
    return box;
  };
  legendControl.addTo(map);

  // ---- the breakdown of one candidate -------------------------------------------------------
  // notes come as a code and parameters; D.notes holds their templates in the page's language
  function noteText(note) {
    const values = {};
    for (const [k, v] of Object.entries(note.params || {})) values[k] = noteParam(v);
    return fill(D.notes[note.code] || note.code, values);
  }
  function noteParam(v) {
    if (v === null || typeof v !== "object") return String(v);
    if ("code" in v) return noteText(v); // a note inside a note
    return D.lang in v ? v[D.lang] : v.en; // a word per language (a criterion's label)
  }
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
    const note = noteOf(j, i);
    if (note && (note.code === "off_network" || note.code === "off_networks")) {
      return fill(T.off_network, { m: num(note.params.m) });
    }
    if (note && note.code !== "beyond_reach") return noteText(note);
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
      name.appendChild(symbol(c.shape));
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
      const s = S[j][i];
      tr.appendChild(el("td", "gs-num", c.assessed && s !== null ? num(tableScore(s)) : "–"));
      tr.appendChild(el("td", "gs-num", num(W[j], 2)));
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

  let shown = null; // the candidate in the panel
  function show(i, quiet) {
    shown = i;
    detail.replaceChildren();
    const close = el("button", "gs-close", "×");
    close.type = "button";
    close.title = T.close;
    close.addEventListener("click", () => {
      detail.replaceChildren(el("p", "gs-hint", T.click));
      selection.remove();
      shown = null;
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
    const s = SUIT[i];
    const cls = classOf(s);
    const head = el("p", "gs-score");
    head.appendChild(swatch(C.pass[i] ? cls[1] : D.fail_colour, "gs-dot"));
    head.appendChild(document.createTextNode(
      fill(T.rank, { rank: RANK[i], n: num(n) }) + " · "
        + fill(T.suitability, { s: suitText(i), cls: cls[2] }),
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
          const b = el("button", "gs-other", "#" + RANK[k] + " (" + suitText(k) + ")");
          b.type = "button";
          b.addEventListener("click", () => show(k));
          list.appendChild(b);
        }
        if (others.length > 30) list.appendChild(el("span", "gs-note", "+" + num(others.length - 30)));
        detail.appendChild(list);
      }
    }
    selection.setLatLng(latLngOf(i)).addTo(map);
    if (!quiet) detail.scrollIntoView({ block: window.innerWidth < 700 ? "start" : "nearest" });
  }

  // ---- top list and search ------------------------------------------------------------------
  const TOP_N = 10;
  let haystack = null; // lower-case name and address per candidate
  const search = el("input", "gs-search");
  search.type = "search";
  search.id = "gs-search";
  search.placeholder = T.search;
  search.setAttribute("aria-label", T.search);
  const topList = el("ol", "gs-toplist");
  topList.id = "gs-toplist";
  topBox.appendChild(el("h3", null, fill(T.top_title, { n: TOP_N })));
  if (C.label) topBox.appendChild(search);
  topBox.appendChild(topList);
  search.addEventListener("input", renderTop);

  function matches(q) {
    if (!haystack) {
      haystack = new Array(n);
      for (let i = 0; i < n; i++) {
        haystack[i] = [C.label[i], C.addr ? C.addr[i] : null, C.id[i]].filter(Boolean)
          .join(" ").toLowerCase();
      }
    }
    const out = [];
    for (let k = 0; k < n && out.length < TOP_N; k++) {
      const i = orderOf(k);
      if (haystack[i].includes(q)) out.push(i);
    }
    return out;
  }

  function renderTop() {
    const q = search.value.trim().toLowerCase();
    const items = [];
    if (q && C.label) items.push(...matches(q));
    else for (let k = 0; k < Math.min(TOP_N, n); k++) items.push(orderOf(k));
    topList.replaceChildren();
    if (!items.length) topList.appendChild(el("li", "gs-note", T.no_match));
    for (const i of items) {
      const li = el("li", C.pass[i] === 1 ? "gs-pass" : "gs-failed");
      const b = el("button", "gs-topitem");
      b.type = "button";
      b.dataset.i = String(i);
      b.appendChild(el("span", "gs-toprank", "#" + RANK[i]));
      b.appendChild(swatch(fillOf(i), "gs-dot"));
      const name = el("span", "gs-topname", candidateName(i));
      if (C.addr && C.addr[i]) name.appendChild(el("small", null, C.addr[i]));
      b.appendChild(name);
      b.appendChild(el("span", "gs-topsuit", suitText(i)));
      b.appendChild(el("span", C.pass[i] === 1 ? "gs-ok" : "gs-bad", C.pass[i] === 1 ? "✓" : "✗"));
      b.title = C.pass[i] === 1 ? T.passes_all : T.failing;
      b.addEventListener("click", () => {
        map.setView(latLngOf(i), Math.max(map.getZoom(), 17), { animate: false });
        show(i);
      });
      li.appendChild(b);
      topList.appendChild(li);
    }
  }

  // ---- the weights panel --------------------------------------------------------------------
  const inputs = [];
  function weightsPanel() {
    weightsBox.open = window.innerWidth >= 700;
    weightsBox.appendChild(el("summary", null, T.weights_title));
    weightsBox.appendChild(el("p", "gs-note", fill(T.weights_note, { config: D.meta.config.join(" + ") })));
    if (!D.scores.exact) weightsBox.appendChild(el("p", "gs-note", T.weights_approx));
    const grid = el("div", "gs-wgrid");
    D.crit.forEach((c, j) => {
      if (!c.assessed) return;
      const label = el("label", null, c.label);
      const input = el("input");
      input.type = "number";
      input.min = "0";
      input.step = "0.5";
      input.value = String(W[j]);
      input.dataset.key = c.key;
      input.addEventListener("input", () => {
        const v = Number(input.value);
        if (input.value.trim() === "" || !Number.isFinite(v) || v < 0) return;
        W[j] = v;
        scheduleApply();
      });
      inputs[j] = input;
      label.appendChild(input);
      grid.appendChild(label);
    });
    weightsBox.appendChild(grid);
    const reset = el("button", "gs-reset", T.weights_reset);
    reset.type = "button";
    reset.addEventListener("click", () => {
      RUN_W.forEach((w, j) => { W[j] = w; });
      applyWeights();
    });
    const row = el("p", "gs-wbuttons");
    row.appendChild(reset);
    row.appendChild(link);
    weightsBox.appendChild(row);
    changedNote.hidden = true;
    weightsBox.appendChild(changedNote);
  }

  function hashOf(w) {
    return "w=" + D.crit.filter((c) => c.assessed)
      .map((c) => encodeURIComponent(c.key) + ":" + w[D.crit.indexOf(c)]).join(",");
  }
  function weightsFromHash() {
    const m = /(?:^#|&)w=([^&]*)/.exec(location.hash);
    if (!m) return false;
    let any = false;
    for (const part of decodeURIComponent(m[1]).split(",")) {
      const [key, value] = part.split(":");
      const j = D.crit.findIndex((c) => c.key === key && c.assessed);
      const v = Number(value);
      if (j >= 0 && value !== undefined && value.trim() !== "" && Number.isFinite(v) && v >= 0) {
        W[j] = v;
        any = true;
      }
    }
    return any;
  }

  let pending = false;
  function scheduleApply() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      applyWeights();
    });
  }

  function applyWeights() {
    const official = W.every((w, j) => w === RUN_W[j]);
    if (official) {
      SUIT = C.suit;
      RANK = C.rank;
      ORDER = null;
    } else {
      SUIT = suitabilityWith(W);
      const r = ranksOf(SUIT);
      RANK = r.rank;
      ORDER = r.order;
    }
    restyle();
    inputs.forEach((input, j) => {
      if (input && Number(input.value) !== W[j]) input.value = String(W[j]);
    });
    changedNote.hidden = official;
    legendChanged.hidden = official;
    printChanged.hidden = official;
    document.documentElement.classList.toggle("gs-explored", !official);
    const hash = official ? "" : "#" + hashOf(W);
    link.href = hash || "#";
    try {
      history.replaceState(null, "", hash || location.pathname + location.search);
    } catch (e) {
      // some browsers refuse history changes on file: pages; the link still carries the weights
    }
    renderTop();
    if (shown !== null) show(shown, true);
  }

  function restyle() {
    // colours of every candidate shape after a change of weights; canvas points redraw in rank order
    if (useCanvas) {
      const best = [];
      const worst = [];
      for (let k = 0; k < n; k++) {
        const i = orderOf(k);
        (C.pass[i] === 1 ? best : worst).push(i);
      }
      passGroup.setIndices(best);
      failGroup.setIndices(worst);
    } else {
      for (const g of [passGroup, failGroup]) g.eachLayer((m) => m.setStyle({ fillColor: fillOf(m.gsIdx) }));
    }
    fpDirty = true;
    syncFootprints();
  }

  function setWeights(weights) {
    for (const [key, value] of Object.entries(weights)) {
      const j = D.crit.findIndex((c) => c.key === key);
      if (j < 0 || !D.crit[j].assessed) throw new Error("no assessed criterion " + key);
      const v = Number(value);
      if (!Number.isFinite(v) || v < 0) throw new Error("weight of " + key + " must be 0 or more");
      W[j] = v;
    }
    applyWeights();
    return currentWeights();
  }
  function currentWeights() {
    const out = {};
    D.crit.forEach((c, j) => { if (c.assessed) out[c.key] = W[j]; });
    return out;
  }
  function suitabilityById() {
    const out = {};
    for (let i = 0; i < n; i++) {
      out[C.id ? C.id[i] : String(i)] = known(SUIT[i]) ? SUIT[i] : null;
    }
    return out;
  }

  weightsPanel();
  window.addEventListener("hashchange", () => {
    RUN_W.forEach((w, j) => { W[j] = w; });
    weightsFromHash();
    applyWeights();
  });

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

  // paper: the map's box changes size; fit the data into it before the page is laid out
  function fitForPrint() {
    map.invalidateSize({ animate: false });
    map.fitBounds(dataBounds(), { padding: [12, 12], maxZoom: 17, animate: false });
  }
  const printQuery = window.matchMedia("print");
  if (printQuery.addEventListener) printQuery.addEventListener("change", () => fitForPrint());
  window.addEventListener("beforeprint", fitForPrint);
  window.addEventListener("afterprint", () => map.invalidateSize({ animate: false }));

  if (weightsFromHash()) applyWeights();
  else renderTop();

  window.geoschikt = {
    map: map, show: show, latLng: latLngOf, count: n, canvas: useCanvas,
    setWeights: setWeights, weights: currentWeights, suitability: suitabilityById,
    ranks: () => Object.fromEntries(Array.from({ length: n }, (_, i) => [C.id ? C.id[i] : String(i), RANK[i]])),
  };
  const root = document.documentElement;
  root.dataset.gsInitMs = performance.now().toFixed(1);
  requestAnimationFrame(() => setTimeout(() => {
    root.dataset.gsReadyMs = performance.now().toFixed(1);
    setTimeout(makeIdOrder, 50); // ready for the first change of weights
  }, 0));
})();
