/* geoschikt batch overview: regions coloured by their median (or best) suitability, a table
 * of the regions and links to each region's map, built from the JSON data block. Region names,
 * ids, statuses and reasons are only ever inserted with textContent. */
(function () {
  "use strict";
  const D = JSON.parse(document.getElementById("gs-data").textContent);
  const T = D.t;
  const R = D.regions;
  const OS = 1e5; // outline scale (see webmap.py)
  const locale = D.lang === "nl" ? "nl-NL" : "en-GB";
  const side = document.getElementById("gs-side");
  const n = R.id.length;
  let by = "median";

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, (m, k) => (k in values ? String(values[k]) : m));
  }
  function num(v, digits) {
    return v === null ? "–" : Number(v).toLocaleString(locale, { maximumFractionDigits: digits || 0 });
  }
  function colourOf(v) {
    if (v === null) return D.no_data_colour;
    for (const c of D.classes) if (v >= c[0]) return c[1];
    return D.classes[D.classes.length - 1][1];
  }
  function label(k) {
    return R.name[k] || R.id[k] || "?";
  }
  function ring(flat) {
    const out = [];
    let x = 0;
    let y = 0;
    for (let k = 0; k < flat.length; k += 2) {
      x += flat[k];
      y += flat[k + 1];
      out.push([y / OS, x / OS]);
    }
    return out;
  }
  function mapLink(k, text) {
    const a = el("a", "gs-maplink", text);
    a.href = R.map[k]; // a relative path inside the batch, checked in Python
    return a;
  }

  document.getElementById("gs-title").textContent = D.title;
  if (!window.L) {
    side.appendChild(el("p", "gs-error", T.no_leaflet));
    return;
  }

  // ---- side: what the colours mean, a switch, the table --------------------------------------
  const ok = R.status.filter((s) => s === "ok").length;
  const intro = el("p", "gs-intro");
  side.appendChild(intro);
  const switchBox = el("p", "gs-by");
  switchBox.appendChild(document.createTextNode(T.colour_by + ": "));
  for (const key of ["median", "best"]) {
    const lab = el("label");
    const input = el("input");
    input.type = "radio";
    input.name = "gs-by";
    input.value = key;
    input.checked = key === by;
    input.addEventListener("change", () => {
      by = key;
      restyle();
    });
    lab.appendChild(input);
    lab.appendChild(document.createTextNode(" " + T[key] + " "));
    switchBox.appendChild(lab);
  }
  side.appendChild(switchBox);

  const table = el("table", "gs-regions");
  table.id = "gs-regions";
  const head = el("tr");
  for (const [h, numeric] of [[T.region, false], [T.status, false], [T.cands, true],
    [T.passing, true], [T.best_col, true], [T.median_col, true]]) {
    head.appendChild(el("th", numeric ? "gs-num" : null, h));
  }
  table.appendChild(el("thead")).appendChild(head);
  const body = el("tbody");
  table.appendChild(body);
  side.appendChild(table);
  if (D.source) side.appendChild(el("p", "gs-note", fill(T.source, { source: D.source })));

  function renderTable() {
    const order = Array.from({ length: n }, (_, k) => k);
    const value = (k) => (R[by][k] === null ? -1 : R[by][k]);
    order.sort((a, b) => value(b) - value(a) || label(a).localeCompare(label(b), locale));
    body.replaceChildren();
    for (const k of order) {
      const tr = el("tr");
      tr.dataset.k = String(k);
      const name = el("td");
      const sw = el("span", "gs-swatch");
      sw.style.background = colourOf(R[by][k]);
      name.appendChild(sw);
      name.appendChild(R.map[k] ? mapLink(k, label(k)) : document.createTextNode(label(k)));
      tr.appendChild(name);
      const status = el("td", null, R.status[k] || "");
      if (R.reason[k]) status.title = R.reason[k];
      tr.appendChild(status);
      tr.appendChild(el("td", "gs-num", num(R.cand[k])));
      tr.appendChild(el("td", "gs-num", num(R.pass[k])));
      tr.appendChild(el("td", "gs-num", num(R.best[k], 1)));
      tr.appendChild(el("td", "gs-num", num(R.median[k], 1)));
      body.appendChild(tr);
    }
  }

  // ---- the map ---------------------------------------------------------------------------------
  const map = L.map("gs-map", { zoomControl: true, minZoom: 3, zoomSnap: 0.25 });
  map.attributionControl.setPrefix("Leaflet");
  map.attributionControl.addAttribution(
    '<a href="https://www.openstreetmap.org/copyright">© OpenStreetMap contributors</a>',
  );
  const tiles = L.tileLayer(D.tiles, { maxZoom: 19, crossOrigin: false });
  tiles.once("tileerror", () => {
    map.getContainer().classList.add("gs-no-tiles");
    const note = L.control({ position: "bottomleft" });
    note.onAdd = () => el("div", "gs-offline", T.tiles_offline);
    note.addTo(map);
  });
  tiles.addTo(map);

  const shapes = L.featureGroup();
  const polys = [];
  R.shape.forEach((parts, k) => {
    if (!parts.length) return;
    const p = L.polygon(parts.map((poly) => poly.map(ring)), {
      weight: 1, color: "#1b1b1b", fillOpacity: 0.75, className: "gs-region",
    });
    p.gsK = k;
    polys.push(p);
    shapes.addLayer(p);
  });
  shapes.bindTooltip((layer) => el("span", "gs-tip", fill(T.tip, {
    name: label(layer.gsK), what: T[by], value: num(R[by][layer.gsK], 1),
  })), { sticky: true });
  shapes.on("click", (e) => {
    const k = e.layer.gsK;
    const box = el("div", "gs-popup");
    box.appendChild(el("strong", null, label(k)));
    box.appendChild(el("br"));
    box.appendChild(R.map[k] ? mapLink(k, fill(T.open, { name: label(k) })) : el("span", null, T.no_map));
    L.popup().setLatLng(e.latlng).setContent(box).openOn(map);
  });
  shapes.addTo(map);

  const legend = L.control({ position: "bottomleft" });
  legend.onAdd = () => {
    const box = el("div", "gs-legend leaflet-bar");
    box.id = "gs-legend";
    box.appendChild(el("h3", null, T.legend));
    const ul = el("ul", "gs-keys");
    D.classes.forEach((c, k) => {
      const li = el("li");
      const sw = el("span", "gs-swatch");
      sw.style.background = c[1];
      li.appendChild(sw);
      li.appendChild(document.createTextNode(c[0] + "–" + (k === 0 ? 100 : D.classes[k - 1][0]) + "  " + c[2]));
      ul.appendChild(li);
    });
    const li = el("li");
    const sw = el("span", "gs-swatch gs-nodata");
    sw.style.background = D.no_data_colour;
    li.appendChild(sw);
    li.appendChild(document.createTextNode(T.no_data));
    ul.appendChild(li);
    box.appendChild(ul);
    return box;
  };
  legend.addTo(map);
  L.control.scale({ imperial: false }).addTo(map);

  function restyle() {
    intro.textContent = fill(T.intro, { n: num(n), ok: num(ok), what: T[by] });
    for (const p of polys) {
      const v = R[by][p.gsK];
      p.setStyle({ fillColor: colourOf(v), dashArray: v === null ? "4 3" : null });
    }
    renderTable();
  }
  restyle();
  if (shapes.getLayers().length) map.fitBounds(shapes.getBounds(), { padding: [16, 16] });
  else map.fitBounds([[50.7, 3.3], [53.6, 7.2]]);

  window.geoschikt = { map: map, count: n, colourBy: (key) => { by = key; restyle(); } };
  const root = document.documentElement;
  requestAnimationFrame(() => setTimeout(() => {
    root.dataset.gsReadyMs = performance.now().toFixed(1);
  }, 0));
})();
