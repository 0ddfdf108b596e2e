/* geodti map runtime (MIT, part of geodti).
 *
 * Builds the layers, title, legend, search box and time slider of a geodti page from JSON
 * specs written by geodti/web. Needs Leaflet (L) and topojson-client (topojson), both inlined.
 * Every string that comes from data is inserted with textContent, never innerHTML.
 */
(function () {
  'use strict';

  var G = window.geodti = {pages: []};

  function el(tag, cls, text, parent) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    if (parent) { parent.appendChild(node); }
    return node;
  }

  function quiet(node) {
    // clicks, wheel and drags on a panel must not move the map underneath
    L.DomEvent.disableClickPropagation(node);
    L.DomEvent.disableScrollPropagation(node);
  }

  /* ---------- geometry (stored once per page as TopoJSON) ---------- */

  G.units = function (topology, info) {
    var object = topology.objects.units;
    var features = topojson.feature(topology, object).features;
    for (var i = 0; i < features.length; i++) {
      features[i].properties = {i: i};
    }
    return {topology: topology, object: object, features: features, info: info};
  };

  /* ---------- page: title, notes, legend, search ---------- */

  G.page = function (map, units, spec) {
    var page = {map: map, units: units, spec: spec, unitLayers: [], frame: 0};
    G.pages.push(page);

    // the title bar is static HTML above the map (written by geodti/web/_page.py)
    page.periodNode = document.querySelector('.geodti-period') || el('span');

    var legend = L.control({position: 'bottomright'});
    legend.onAdd = function () {
      var div = el('div', 'geodti-legend leaflet-bar');
      quiet(div);
      return div;
    };
    legend.addTo(map);
    page.legendNode = legend.getContainer();
    page.setLegend = function (sections) { renderLegend(page.legendNode, sections); };
    page.setLegend(spec.legend);

    if (spec.search && units) { addSearch(page); }
    return page;
  };

  function renderLegend(div, sections) {
    while (div.firstChild) { div.removeChild(div.firstChild); }
    (sections || []).forEach(function (section) {
      var sec = el('div', 'geodti-legend-section', null, div);
      if (section.title) { el('div', 'geodti-legend-title', section.title, sec); }
      section.entries.forEach(function (entry) {
        var row = el('div', 'geodti-legend-row', null, sec);
        var sw = el('span', 'geodti-swatch geodti-swatch-' + (entry.kind || 'fill'), null, row);
        if (entry.kind === 'line' || entry.kind === 'dash') {
          sw.style.borderTopColor = entry.color;
        } else if (entry.kind === 'outline') {
          sw.style.borderColor = entry.color;
        } else {
          sw.style.background = entry.color;
        }
        el('span', 'geodti-legend-label', entry.label, row);
        if (entry.count !== undefined && entry.count !== null) {
          el('span', 'geodti-legend-count', '(' + entry.count + ')', row);
        }
      });
      if (section.note) { el('div', 'geodti-legend-note', section.note, sec); }
    });
  }

  /* ---------- tooltips and popups ---------- */

  function unitInfo(page, rows, i, withCode) {
    var info = page.units.info;
    var div = el('div', 'geodti-info');
    var head = el('div', 'geodti-info-head', null, div);
    el('strong', null, info.name[i], head);
    el('span', 'geodti-info-en', ' ' + info.name_en[i], head);
    var table = el('table', null, null, div);
    function row(label, value) {
      var tr = el('tr', null, null, table);
      el('th', null, label, tr);
      el('td', null, value, tr);
    }
    if (info.province[i]) { row(page.spec.labels.province, info.province[i]); }
    var agg = info.agglomeration[i] || '—';
    if (info.partial_in[i]) { agg += ' (' + page.spec.labels.partial + ': ' + info.partial_in[i] + ')'; }
    row(page.spec.labels.agglomeration, agg);
    // a row gives each unit's text, a rank of r.of (0: none), or a code into its few labels
    function text(r) {
      if (r.values) { return r.values[i]; }
      if (r.ranks) { return r.ranks[i] > 0 ? r.ranks[i] + ' / ' + r.of : '\u2014'; }
      return r.labels[r.codes[i]];
    }
    (rows || []).forEach(function (r) { row(r.label, text(r)); });
    if (withCode) { row('adcode', info.adcode[i]); }
    return div;
  }

  /* ---------- polygons of the units, restyled per frame (period) ---------- */

  G.unitLayer = function (page, spec) {
    var units = page.units;
    var sublayers = [];
    var current = 0;
    var base = spec.style || {};
    function frame() { return spec.frames[current]; }
    function style(feature) {
      var i = feature.properties.i;
      var c = frame().cls[i];
      var colors = frame().colors || spec.colors;
      var dashed = spec.dashed && spec.dashed[i];
      return {
        fillColor: c < 0 ? spec.nodata : colors[c],
        fillOpacity: base.fillOpacity === undefined ? 0.85 : base.fillOpacity,
        color: dashed ? (base.dashColor || '#222') : (base.color || '#ffffff'),
        weight: dashed ? (base.dashWeight || 1.2) : (base.weight === undefined ? 0.5 : base.weight),
        dashArray: dashed ? '4 3' : null,
        opacity: 1
      };
    }
    var layer = L.geoJSON({type: 'FeatureCollection', features: units.features}, {
      className: spec.className || 'geodti-unit',
      style: style,
      onEachFeature: function (feature, sub) {
        var i = feature.properties.i;
        sublayers[i] = sub;
        sub.bindTooltip(function () { return unitInfo(page, frame().rows, i, false); },
                        {sticky: true, className: 'geodti-tip', direction: 'top', offset: [0, -8]});
        sub.bindPopup(function () { return unitInfo(page, frame().rows, i, true); },
                      {className: 'geodti-popup', maxWidth: 320});
        sub.on('mouseover', function () { sub.setStyle({weight: 2.5, color: '#222222'}); });
        sub.on('mouseout', function () { layer.resetStyle(sub); });
      }
    });
    layer.sublayers = sublayers;
    layer.frameCount = spec.frames.length;
    layer.setFrame = function (k) {
      current = Math.max(0, Math.min(spec.frames.length - 1, k));
      layer.setStyle(style);
      if (spec.frames[current].legend) { page.setLegend(spec.frames[current].legend); }
      page.periodNode.textContent = spec.frames[current].label ? ' · ' + spec.frames[current].label : '';
      return current;
    };
    page.unitLayers.push(layer);
    return layer;
  };

  /* ---------- outlines dissolved from member units (agglomerations) ---------- */

  G.groupLayer = function (page, spec) {
    var units = page.units;
    var group = L.featureGroup();
    spec.groups.forEach(function (g) {
      var geometries = g.members.map(function (i) { return units.object.geometries[i]; });
      var merged = topojson.merge(units.topology, geometries);
      var lyr = L.geoJSON(merged, {
        className: spec.className || 'geodti-group',
        interactive: spec.interactive !== false,
        style: {color: g.color, weight: g.weight || 2.5, opacity: 1, fillColor: g.fill || g.color,
                fillOpacity: g.fillOpacity === undefined ? 0.25 : g.fillOpacity,
                dashArray: g.dash || null}
      });
      if (spec.interactive !== false) {
        var content = function () {
          var div = el('div', 'geodti-info');
          var head = el('div', 'geodti-info-head', null, div);
          el('strong', null, g.label, head);
          if (g.label_en) { el('span', 'geodti-info-en', ' ' + g.label_en, head); }
          var table = el('table', null, null, div);
          (g.rows || []).forEach(function (r) {
            var tr = el('tr', null, null, table);
            el('th', null, r.label, tr);
            el('td', null, r.value, tr);
          });
          return div;
        };
        lyr.bindTooltip(content, {sticky: true, className: 'geodti-tip'});
        lyr.bindPopup(content, {className: 'geodti-popup', maxWidth: 320});
      }
      group.addLayer(lyr);
    });
    return group;
  };

  /* ---------- points, lines and polygons (diffusion) ---------- */

  function arrowDefs(map) {
    var svg = map.getPanes().overlayPane.querySelector('svg');
    if (!svg || svg.querySelector('#geodti-arrow')) { return; }
    var ns = 'http://www.w3.org/2000/svg';
    var defs = document.createElementNS(ns, 'defs');
    var marker = document.createElementNS(ns, 'marker');
    marker.setAttribute('id', 'geodti-arrow');
    marker.setAttribute('viewBox', '0 0 10 10');
    marker.setAttribute('refX', '5');
    marker.setAttribute('refY', '5');
    marker.setAttribute('markerWidth', '4.5');
    marker.setAttribute('markerHeight', '4.5');
    marker.setAttribute('orient', 'auto-start-reverse');
    var tip = document.createElementNS(ns, 'path');
    tip.setAttribute('d', 'M 0 0 L 10 5 L 0 10 z');
    tip.setAttribute('fill', '#333333');
    marker.appendChild(tip);
    defs.appendChild(marker);
    svg.insertBefore(defs, svg.firstChild);
  }

  G.featureLayer = function (page, spec) {
    var map = page.map;
    var group = L.featureGroup();
    var arrows = [];
    spec.features.forEach(function (f) {
      var p = f.properties;
      var lyr;
      if (f.geometry.type === 'Point') {
        var c = f.geometry.coordinates;
        lyr = L.circleMarker([c[1], c[0]], {radius: p.radius || 5, color: '#222222', weight: 1,
                                             fillColor: p.color, fillOpacity: 1,
                                             className: spec.className || 'geodti-feature'});
        if (p.label) {
          lyr.bindTooltip(el('span', null, p.label), {permanent: true, direction: 'right',
                                                     className: 'geodti-label', offset: [6, 0]});
        }
      } else {
        lyr = L.geoJSON(f, {className: spec.className || 'geodti-feature',
                            // keep the middle vertex of an arrow segment (it carries the arrowhead)
                            smoothFactor: p.arrow ? 0 : 1,
                            style: {color: p.color, weight: p.weight || 2, opacity: 1,
                                    // outline only: the units underneath keep their tooltips
                                    fill: false,
                                    dashArray: p.dash || null}});
        if (p.arrow) { arrows.push(lyr); }
      }
      if (p.rows && p.rows.length) {
        var content = function () {
          var div = el('div', 'geodti-info');
          if (p.title) { el('strong', null, p.title, el('div', 'geodti-info-head', null, div)); }
          var table = el('table', null, null, div);
          p.rows.forEach(function (r) {
            var tr = el('tr', null, null, table);
            el('th', null, r.label, tr);
            el('td', null, r.value, tr);
          });
          return div;
        };
        lyr.bindPopup(content, {className: 'geodti-popup', maxWidth: 320});
        if (!p.label) { lyr.bindTooltip(content, {sticky: true, className: 'geodti-tip'}); }
      }
      group.addLayer(lyr);
    });
    group.on('add', function () {
      arrowDefs(map);
      arrows.forEach(function (lyr) {
        lyr.eachLayer(function (path) {
          var node = path.getElement && path.getElement();
          if (node) { node.setAttribute('marker-mid', 'url(#geodti-arrow)'); }
        });
      });
    });
    return group;
  };

  /* ---------- search by Chinese name, English name, pinyin or initials ---------- */

  function fold(text) { return String(text).toLowerCase().replace(/[\s'\u2019-]/g, ''); }

  function addSearch(page) {
    var info = page.units.info;
    var control = L.control({position: 'topleft'});
    control.onAdd = function () {
      var div = el('div', 'geodti-search leaflet-bar');
      quiet(div);
      var input = el('input', null, null, div);
      input.type = 'search';
      input.placeholder = page.spec.labels.search;
      input.setAttribute('aria-label', page.spec.labels.search);
      var list = el('ul', 'geodti-search-results', null, div);
      function matches(q) {
        var scored = [];
        for (var i = 0; i < info.name.length; i++) {
          var best = -1;
          info.search[i].forEach(function (key) {
            var k = fold(key);
            // prefixes of any key; inside a Chinese name too (恩施 in 恩施土家族苗族自治州)
            if (k.indexOf(q) === 0) { best = Math.max(best, 2); }
            else if (/[^\x00-\x7f]/.test(k) && k.indexOf(q) > 0) { best = Math.max(best, 1); }
          });
          if (best >= 0) { scored.push([-best, info.name[i].length, i]); }
        }
        scored.sort(function (a, b) { return a[0] - b[0] || a[1] - b[1] || a[2] - b[2]; });
        return scored.slice(0, 8).map(function (s) { return s[2]; });
      }
      function show() {
        while (list.firstChild) { list.removeChild(list.firstChild); }
        var q = fold(input.value);
        if (!q) { return; }
        var found = matches(q);
        if (!found.length) { el('li', 'geodti-search-none', page.spec.labels.notFound, list); }
        found.forEach(function (i) {
          var li = el('li', null, null, list);
          var b = el('button', null, info.name[i] + ' ' + info.name_en[i], li);
          b.type = 'button';
          b.addEventListener('click', function () { G.focus(page, i); });
        });
      }
      input.addEventListener('input', show);
      input.addEventListener('keydown', function (e) {
        if (e.key === 'Enter') {
          var found = matches(fold(input.value));
          if (found.length) { G.focus(page, found[0]); }
        }
      });
      return div;
    };
    control.addTo(page.map);
  }

  G.focus = function (page, i) {
    var layer = page.unitLayers[0];
    if (!layer) { return; }
    var sub = layer.sublayers[i];
    page.map.fitBounds(sub.getBounds(), {maxZoom: 7});
    sub.openPopup(sub.getBounds().getCenter());
  };

  /* ---------- time slider over the frames of a unit layer ---------- */

  G.slider = function (page, layer, spec) {
    var control = L.control({position: 'bottomleft'});
    control.onAdd = function () {
      var div = el('div', 'geodti-slider leaflet-bar');
      quiet(div);
      var label = el('div', 'geodti-slider-label', null, div);
      var row = el('div', 'geodti-slider-row', null, div);
      var prev = el('button', null, '◀', row);
      var input = el('input', null, null, row);
      var next = el('button', null, '▶', row);
      var play = el('button', 'geodti-play', spec.labels.play, row);
      prev.type = next.type = play.type = 'button';
      prev.title = spec.labels.previous;
      next.title = spec.labels.next;
      input.type = 'range';
      input.min = 0;
      input.max = spec.periods.length - 1;
      input.step = 1;
      input.value = 0;
      input.setAttribute('aria-label', spec.labels.period);
      var timer = null;
      function go(k) {
        var shown = layer.setFrame(k);
        input.value = shown;
        label.textContent = spec.labels.period + ': ' + spec.periods[shown];
        return shown;
      }
      input.addEventListener('input', function () { go(parseInt(input.value, 10)); });
      prev.addEventListener('click', function () { go(parseInt(input.value, 10) - 1); });
      next.addEventListener('click', function () { go(parseInt(input.value, 10) + 1); });
      play.addEventListener('click', function () {
        if (timer) { clearInterval(timer); timer = null; play.textContent = spec.labels.play; return; }
        play.textContent = spec.labels.pause;
        timer = setInterval(function () {
          var k = parseInt(input.value, 10) + 1;
          go(k >= spec.periods.length ? 0 : k);
        }, spec.interval || 1200);
      });
      go(0);
      return div;
    };
    control.addTo(page.map);
    return control;
  };
}());
