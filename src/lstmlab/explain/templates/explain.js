// The "flow of the memory" explorer. Reads the walk embedded as JSON and draws, for the step
// under the cursor: the cell diagram of the selected unit, every unit's gates, a sentence, and
// the unit's values over the window. No library, no request: everything is in this page.
(() => {
  'use strict';
  const D = JSON.parse(document.getElementById('walk-data').textContent);
  const T = D.labels.length;
  const SVG = 'http://www.w3.org/2000/svg';
  const POS = '#2166ac', NEG = '#c2512f', GATE = '#1b7a5a';
  const GATES01 = new Set(['f_t', 'i_t', 'o_t', 'z_t', 'r_t']);
  const NAMES = {f_t: 'f_t forget', i_t: 'i_t input', o_t: 'o_t output', c_tilde: 'c̃_t candidate',
    c_t: 'c_t memory', h_t: 'h_t output', z_t: 'z_t update', r_t: 'r_t reset',
    n_t: 'n_t candidate'};
  const MEMORY = D.cell === 'lstm' ? 'c_t' : 'h_t';
  const state = {t: 0, unit: 0, layer: 0, marked: new Set([0]), order: 'index', timer: null};
  const $ = (id) => document.getElementById(id);

  function el(tag, attrs, parent) {
    const node = document.createElementNS(SVG, tag);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
    if (parent) parent.appendChild(node);
    return node;
  }
  const layer = () => D.layers[state.layer];
  const units = () => layer()[D.gates[0]][0].length;
  const value = (gate, t, u) => (t < 0 ? 0 : layer()[gate][t][u]);  // zero initial state
  const fixed = (v, digits) => v.toFixed(digits).replace(/^-(0\.0*)$/, '$1');  // no −0.00
  const fmt = (v) => fixed(v, 3);
  const pct = (v) => `${Math.round(100 * v)}%`;
  const signed = (v) => (v >= 0 ? '+' : '−') + Math.abs(v).toPrecision(2);
  const amount = (v) => (Math.abs(v) >= 100 ? v.toFixed(2) : Math.abs(v) >= 1 ? v.toFixed(3)
    : v.toPrecision(4));

  function maxAbs(rows) {
    let top = 1e-12;
    for (const row of rows) for (const v of row) top = Math.max(top, Math.abs(v));
    return top;
  }
  // a gate's display scale: gates are in [0, 1], tanh outputs in [-1, 1], the LSTM memory
  // and the inputs to their largest size in the window
  function scaleOf(gate) {
    if (GATES01.has(gate)) return 1;
    return gate === 'c_t' ? maxAbs(layer().c_t) : 1;
  }
  function colour(gate, v) {
    if (GATES01.has(gate)) return GATE;
    return v >= 0 ? POS : NEG;
  }
  function strength(gate, v) {  // 0..1, how strongly to draw a value
    return Math.min(Math.abs(v) / scaleOf(gate), 1);
  }

  // ---- the input chart and the attribution strip -------------------------------------------
  const inputScale = maxAbs(D.inputs.map((row) => [row[0]]));
  function drawInput() {
    const svg = $('input-chart');
    const w = 800 / T, lo = Math.min(0, ...D.inputs.map((r) => r[0]));
    const hi = Math.max(0, ...D.inputs.map((r) => r[0]));
    const y = (v) => 110 - 100 * (v - lo) / ((hi - lo) || 1);
    el('line', {x1: 0, x2: 800, y1: y(0), y2: y(0), class: 'axis'}, svg);
    D.inputs.forEach((row, t) => {
      const marked = D.marks.includes(t);
      el('rect', {x: t * w + w * 0.1, width: w * 0.8, y: Math.min(y(0), y(row[0])),
        height: Math.max(Math.abs(y(row[0]) - y(0)), 0.5),
        fill: marked ? '#e08214' : row[0] >= 0 ? POS : NEG}, svg);
    });
    el('rect', {id: 'input-cursor', y: 0, height: 120, width: w, class: 'cursor'}, svg);
    svg.addEventListener('click', (e) => goTo(stepAt(svg, e)));
    $('input-name').textContent = `${D.features[0]} of each step` +
      (D.marks.length ? ' (marked steps in orange)' : '');
  }
  function drawAttribution() {
    const svg = $('attribution-strip'), w = 800 / T, top = maxAbs([D.attribution.per_step]);
    D.attribution.per_step.forEach((v, t) => el('rect', {x: t * w, width: w + 0.5, y: 0,
      height: 18, fill: v >= 0 ? POS : NEG, 'fill-opacity': Math.abs(v) / top}, svg));
    el('rect', {id: 'attribution-cursor', y: 0, height: 18, width: w, class: 'cursor'}, svg);
    svg.addEventListener('click', (e) => goTo(stepAt(svg, e)));
  }
  function stepAt(svg, event) {
    const box = svg.getBoundingClientRect();
    return Math.floor((event.clientX - box.left) / box.width * T);
  }

  // ---- every unit at this step: one panel of bars per gate ---------------------------------
  function drawPanels() {
    const root = $('panels');
    root.textContent = '';
    const H = units(), w = 10;
    for (const gate of D.gates) {
      const panel = document.createElement('div');
      panel.className = 'panel';
      panel.dataset.gate = gate;
      const label = document.createElement('span');
      label.className = 'gate-name';
      label.textContent = NAMES[gate];
      panel.appendChild(label);
      const svg = el('svg', {class: 'bars', viewBox: `0 0 ${H * w} 60`,
        preserveAspectRatio: 'none', 'data-gate': gate}, panel);
      if (!GATES01.has(gate)) el('line', {x1: 0, x2: H * w, y1: 30, y2: 30, class: 'axis'}, svg);
      for (let u = 0; u < H; u++) {
        const g = el('g', {'data-unit': u, class: 'unit'}, svg);
        el('rect', {class: 'hit', y: 0, height: 60, width: w}, g);
        el('rect', {class: 'bar', width: w * 0.7}, g);
        const title = el('title', {}, g);
        title.textContent = `unit ${u}`;
        g.addEventListener('click', (e) => select(u, e.shiftKey || e.ctrlKey || e.metaKey));
      }
      root.appendChild(panel);
    }
  }
  function order() {
    const H = units(), ids = [...Array(H).keys()];
    if (state.order === 'index') return ids;
    const change = (u) => {
      if (state.order === 'step') return Math.abs(value(MEMORY, state.t, u) -
        value(MEMORY, state.t - 1, u));
      let sum = 0;
      for (let t = 0; t < T; t++) sum += Math.abs(value(MEMORY, t, u) - value(MEMORY, t - 1, u));
      return sum;
    };
    const size = ids.map(change);
    return ids.sort((a, b) => size[b] - size[a] || a - b);
  }
  function updatePanels() {
    const rank = new Map(order().map((u, k) => [u, k])), w = 10;
    for (const svg of document.querySelectorAll('svg.bars')) {
      const gate = svg.dataset.gate, scale = scaleOf(gate);
      for (const g of svg.querySelectorAll('g.unit')) {
        const u = Number(g.dataset.unit), v = value(gate, state.t, u), x = rank.get(u) * w;
        g.firstChild.setAttribute('x', x);
        const bar = g.children[1];
        const height = GATES01.has(gate) ? 60 * v : 30 * Math.min(Math.abs(v) / scale, 1);
        const top = GATES01.has(gate) ? 60 - height : v >= 0 ? 30 - height : 30;
        bar.setAttribute('x', x + w * 0.15);
        bar.setAttribute('y', top);
        bar.setAttribute('height', Math.max(height, 0.4));
        bar.setAttribute('fill', colour(gate, v));
        g.querySelector('title').textContent = `unit ${u}: ${NAMES[gate]} = ${fmt(v)}`;
        g.classList.toggle('selected', state.marked.has(u));
        g.classList.toggle('followed', u === state.unit);
      }
    }
  }

  // ---- the cell diagram of the followed unit -----------------------------------------------
  const sigmoidBox = (x, y, text) => ({shape: 'box', x, y, text});
  const op = (x, y, text) => ({shape: 'op', x, y, text});
  const DIAGRAMS = {
    lstm: {
      nodes: [sigmoidBox(170, 190, 'σ  f'), sigmoidBox(255, 190, 'σ  i'),
        sigmoidBox(340, 190, 'tanh c̃'), sigmoidBox(425, 190, 'σ  o'), op(170, 50, '×'),
        op(340, 50, '+'), op(340, 120, '×'), op(485, 110, 'tanh'), op(485, 170, '×')],
      edges: [
        ['c_prev', 'M40 50 L155 50', (t, u) => value('c_t', t - 1, u), 'c_t', 'c_{t−1}', 60, 40],
        ['kept', 'M185 50 L325 50', (t, u) => value('f_t', t, u) * value('c_t', t - 1, u),
          'c_t', 'f·c', 230, 40],
        ['f', 'M170 175 L170 65', (t, u) => value('f_t', t, u), 'f_t', 'f', 178, 120],
        ['i', 'M255 175 L255 120 L325 120', (t, u) => value('i_t', t, u), 'i_t', 'i', 262, 150],
        ['cand', 'M340 175 L340 135', (t, u) => value('c_tilde', t, u), 'c_tilde', 'c̃', 348, 162],
        ['write', 'M340 105 L340 65', (t, u) => value('i_t', t, u) * value('c_tilde', t, u),
          'c_t', 'i·c̃', 348, 92],
        ['c', 'M355 50 L530 50', (t, u) => value('c_t', t, u), 'c_t', 'c_t', 400, 40],
        ['tanh_c', 'M485 50 L485 95', (t, u) => Math.tanh(value('c_t', t, u)), 'h_t', '', 0, 0],
        ['shown', 'M485 125 L485 155', (t, u) => Math.tanh(value('c_t', t, u)), 'h_t', '', 0, 0],
        ['o', 'M425 175 L425 170 L470 170', (t, u) => value('o_t', t, u), 'o_t', 'o', 440, 162],
        ['h', 'M485 185 L485 250 L530 250', (t, u) => value('h_t', t, u), 'h_t', 'h_t', 440, 240],
        ['h_prev', 'M40 250 L425 250', (t, u) => value('h_t', t - 1, u), 'h_t', 'h_{t−1}', 45, 240],
        ['x', 'M100 290 L100 250', (t) => D.inputs[t][0] / inputScale, 'h_t', 'x_t', 60, 285],
        ['bus_f', 'M170 250 L170 205', (t, u) => value('h_t', t - 1, u), 'h_t', '', 0, 0],
        ['bus_i', 'M255 250 L255 205', (t, u) => value('h_t', t - 1, u), 'h_t', '', 0, 0],
        ['bus_c', 'M340 250 L340 205', (t, u) => value('h_t', t - 1, u), 'h_t', '', 0, 0],
        ['bus_o', 'M425 250 L425 205', (t, u) => value('h_t', t - 1, u), 'h_t', '', 0, 0],
      ],
    },
    gru: {
      nodes: [sigmoidBox(150, 190, 'σ  r'), sigmoidBox(250, 190, 'σ  z'),
        sigmoidBox(400, 190, 'tanh n'), op(250, 50, '×'), op(400, 50, '+'), op(400, 120, '×'),
        op(325, 120, '1−')],
      edges: [
        ['h_prev', 'M40 50 L235 50', (t, u) => value('h_t', t - 1, u), 'h_t', 'h_{t−1}', 60, 40],
        ['kept', 'M265 50 L385 50', (t, u) => value('z_t', t, u) * value('h_t', t - 1, u),
          'h_t', 'z·h', 300, 40],
        ['z', 'M250 175 L250 65', (t, u) => value('z_t', t, u), 'z_t', 'z', 258, 120],
        ['one_minus', 'M265 190 L325 190 L325 135', (t, u) => value('z_t', t, u), 'z_t', '',
          0, 0],
        ['mix', 'M340 120 L385 120', (t, u) => 1 - value('z_t', t, u), 'z_t', '1−z', 345, 112],
        ['n', 'M400 175 L400 135', (t, u) => value('n_t', t, u), 'n_t', 'n', 408, 162],
        ['write', 'M400 105 L400 65', (t, u) => (1 - value('z_t', t, u)) * value('n_t', t, u),
          'h_t', '(1−z)·n', 408, 92],
        ['h', 'M415 50 L530 50', (t, u) => value('h_t', t, u), 'h_t', 'h_t', 450, 40],
        ['r', 'M150 205 L150 228 L385 228 L385 205', (t, u) => value('r_t', t, u), 'r_t', 'r',
          260, 222],
        ['bus', 'M40 262 L415 262', (t, u) => value('h_t', t - 1, u), 'h_t', 'h_{t−1}', 45, 255],
        ['x', 'M100 292 L100 262', (t) => D.inputs[t][0] / inputScale, 'h_t', 'x_t', 60, 288],
        ['bus_r', 'M150 262 L150 228', (t, u) => value('h_t', t - 1, u), 'h_t', '', 0, 0],
        ['bus_z', 'M250 262 L250 205', (t, u) => value('h_t', t - 1, u), 'h_t', '', 0, 0],
        ['bus_n', 'M415 262 L415 205', (t, u) => value('h_t', t - 1, u), 'h_t', '', 0, 0],
      ],
    },
    rnn: {
      nodes: [sigmoidBox(300, 150, 'tanh')],
      edges: [
        ['h_prev', 'M40 250 L300 250 L300 165', (t, u) => value('h_t', t - 1, u), 'h_t',
          'h_{t−1}', 60, 240],
        ['x', 'M150 292 L150 250', (t) => D.inputs[t][0] / inputScale, 'h_t', 'x_t', 110, 288],
        ['h', 'M300 135 L300 60 L530 60', (t, u) => value('h_t', t, u), 'h_t', 'h_t', 400, 50],
      ],
    },
  };
  const diagram = DIAGRAMS[D.cell];
  function drawDiagram() {
    const svg = $('diagram');
    for (const [id, d] of diagram.edges) el('path', {id: `edge-${id}`, d, class: 'edge'}, svg);
    for (const node of diagram.nodes) {
      if (node.shape === 'box') {
        el('rect', {x: node.x - 38, y: node.y - 15, width: 76, height: 30, rx: 5, class: 'node'},
          svg);
      } else {
        el('circle', {cx: node.x, cy: node.y, r: node.text.length > 2 ? 20 : 15, class: 'node'},
          svg);
      }
      const small = node.shape === 'op' && node.text.length > 2;
      const text = el('text', {x: node.x, y: node.y + (small ? 4 : 5),
        class: small ? 'node-text small' : 'node-text'}, svg);
      text.textContent = node.text;
    }
    for (const [id, , , , name, x, y] of diagram.edges) {
      if (!name) continue;
      const text = el('text', {id: `label-${id}`, x, y, class: 'edge-text'}, svg);
      text.textContent = name;
    }
  }
  function updateDiagram() {
    for (const [id, , read, gate, name] of diagram.edges) {
      const v = read(state.t, state.unit), path = $(`edge-${id}`);
      const size = id === 'x' ? Math.min(Math.abs(v), 1) : strength(gate, v);
      path.setAttribute('stroke-width', (1 + 9 * size).toFixed(2));
      path.setAttribute('stroke', GATES01.has(gate) && id !== 'mix' ? GATE : v >= 0 ? POS : NEG);
      path.setAttribute('stroke-opacity', (0.35 + 0.65 * size).toFixed(2));
      if (name) $(`label-${id}`).textContent = `${name} ${id === 'x' ? amount(D.inputs[state.t][0])
        : fmt(v)}`;
    }
  }

  // ---- the sentence, the readout and the unit's timeline -----------------------------------
  function sentence(t, u) {
    const before = value(MEMORY, t - 1, u), after = value(MEMORY, t, u);
    const head = `Step ${t} (${D.labels[t]}), unit ${u}: `;
    if (D.cell === 'lstm') {
      const f = value('f_t', t, u), i = value('i_t', t, u), o = value('o_t', t, u);
      const write = i * value('c_tilde', t, u);
      return `${head}kept ${pct(f)} of its memory, wrote ${fixed(write, 2)} of new content ` +
        `(input gate ${pct(i)} open), showed ${pct(o)} of it. Its memory c went from ` +
        `${fixed(before, 2)} to ${fixed(after, 2)}; it shows h = ${fixed(value('h_t', t, u), 2)}.`;
    }
    if (D.cell === 'gru') {
      const z = value('z_t', t, u), r = value('r_t', t, u), n = value('n_t', t, u);
      return `${head}kept ${pct(z)} of its state and took ${pct(1 - z)} of the new candidate ` +
        `n = ${fixed(n, 2)}, whose reset gate let ${pct(r)} of the old state in. Its state h ` +
        `went from ${fixed(before, 2)} to ${fixed(after, 2)}.`;
    }
    return `${head}its state h went from ${fixed(before, 2)} to ${fixed(after, 2)}: the tanh ` +
      'of the weighted input and old state, with no gate to protect what it held.';
  }
  function updateReadout() {
    const body = $('readout').tBodies[0];
    body.textContent = '';
    const rows = [[D.cell === 'lstm' ? 'c_{t−1}' : 'h_{t−1}', 'prev',
      value(MEMORY, state.t - 1, state.unit)]];
    for (const gate of D.gates) rows.push([NAMES[gate], gate, value(gate, state.t, state.unit)]);
    for (const [name, key, v] of rows) {
      const tr = body.insertRow();
      tr.insertCell().textContent = name;
      const cell = tr.insertCell();
      cell.id = `value-${key}`;
      cell.textContent = fmt(v);
    }
  }
  function drawTimeline() {
    const svg = $('unit-timeline'), w = 800 / T, rowH = 150 / D.gates.length;
    svg.textContent = '';
    D.gates.forEach((gate, k) => {
      for (let t = 0; t < T; t++) {
        const v = value(gate, t, state.unit);
        el('rect', {x: t * w, width: w + 0.5, y: k * rowH + 1, height: rowH - 2,
          fill: colour(gate, v), 'fill-opacity': strength(gate, v)}, svg);
      }
    });
    el('rect', {id: 'timeline-cursor', y: 0, height: 150, width: w, class: 'cursor'}, svg);
    svg.setAttribute('aria-label', `unit ${state.unit} over time, rows: ` +
      D.gates.map((g) => NAMES[g]).join(', '));
  }

  function drawOutcome() {
    const o = D.outcome, a = D.attribution, facts = $('outcome-facts');
    const rows = [[`Model's forecast of the ${o.what}`, amount(o.model)],
      [`Naive forecast (${o.naive_name})`, amount(o.naive)]];
    if (o.actual !== null) rows.push(['Actual', amount(o.actual)]);
    for (const [name, v] of rows) {
      const dt = document.createElement('dt'), dd = document.createElement('dd');
      dt.textContent = name;
      dd.textContent = v;
      facts.append(dt, dd);
    }
    const sum = a.per_step.reduce((s, v) => s + v, 0), gap = a.output - a.baseline_output;
    $('completeness').textContent = `The strip under the input shows integrated gradients ` +
      `against the baseline "${a.baseline}" (${a.steps} Gauss–Legendre points), in ${a.units} ` +
      `units: the model's output is ${amount(a.output)} on this input and ` +
      `${amount(a.baseline_output)} on the baseline. The attributions sum to ${amount(sum)} ` +
      `against a difference of ${amount(gap)}: completeness error ${a.error.toExponential(1)}.`;
  }

  // ---- state changes -----------------------------------------------------------------------
  function render() {
    const t = state.t, w = 800 / T;
    $('slider').value = t;
    const here = D.attribution.per_step[t];
    $('step-label').textContent = `step ${t} / ${T - 1} · ${D.labels[t]} · ${D.features[0]} ` +
      `${amount(D.inputs[t][0])} · attribution ${signed(here)}`;
    for (const id of ['input-cursor', 'attribution-cursor', 'timeline-cursor']) {
      $(id).setAttribute('x', t * w);
    }
    for (const node of document.querySelectorAll('.unit-no')) node.textContent = state.unit;
    updatePanels();
    updateDiagram();
    updateReadout();
    $('sentence').textContent = sentence(t, state.unit);
  }
  function goTo(t) {
    state.t = Math.max(0, Math.min(T - 1, t));
    render();
  }
  function select(u, add) {
    if (add && state.marked.has(u) && u !== state.unit) {
      state.marked.delete(u);
    } else {
      if (!add) state.marked.clear();
      state.marked.add(u);
      state.unit = u;
    }
    drawTimeline();
    render();
  }
  function play() {
    if (state.timer) {
      clearInterval(state.timer);
      state.timer = null;
    } else {
      if (state.t >= T - 1) state.t = 0;
      state.timer = setInterval(() => {
        if (state.t >= T - 1) return play();
        goTo(state.t + 1);
      }, 350);
    }
    $('play').textContent = state.timer ? '❚❚ Pause' : '▶ Play';
  }

  for (const gate of D.gates) {
    const label = document.createElement('span');
    label.className = 'gate-name';
    label.textContent = NAMES[gate];
    $('timeline-names').appendChild(label);
  }
  drawInput();
  drawAttribution();
  drawPanels();
  drawDiagram();
  drawTimeline();
  drawOutcome();
  render();
  $('unit-timeline').addEventListener('click', (e) => goTo(stepAt($('unit-timeline'), e)));
  $('slider').addEventListener('input', (e) => goTo(Number(e.target.value)));
  $('first').addEventListener('click', () => goTo(0));
  $('prev').addEventListener('click', () => goTo(state.t - 1));
  $('next').addEventListener('click', () => goTo(state.t + 1));
  $('last').addEventListener('click', () => goTo(T - 1));
  $('play').addEventListener('click', play);
  $('sort').addEventListener('change', (e) => {
    state.order = e.target.value;
    render();
  });
  const layerChoice = $('layer');
  if (layerChoice) {
    layerChoice.addEventListener('change', (e) => {
      state.layer = Number(e.target.value);
      drawTimeline();
      render();
    });
  }
  document.addEventListener('keydown', (e) => {
    const tag = e.target.tagName;  // the slider and menus handle their own keys, buttons space
    if (tag === 'INPUT' || tag === 'SELECT' || (tag === 'BUTTON' && e.key === ' ')) return;
    const moves = {ArrowRight: state.t + 1, ArrowLeft: state.t - 1, Home: 0, End: T - 1};
    if (e.key in moves) {
      goTo(moves[e.key]);
    } else if (e.key === ' ') {
      play();
    } else {
      return;
    }
    e.preventDefault();
  });
})();
