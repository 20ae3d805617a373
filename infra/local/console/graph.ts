import { escapeHtml } from './html.js';

/** Which states an execution went through: `current` is where it is now, `failed` where it failed. */
export interface GraphHighlight {
  visited?: Iterable<string>;
  current?: Iterable<string> | string;
  failed?: Iterable<string> | string;
}

interface AslState {
  Type?: string;
  Next?: string;
  End?: boolean;
  Default?: string;
  Choices?: Array<Record<string, unknown> & { Next?: string }>;
  Catch?: Array<{ ErrorEquals?: string[]; Next?: string }>;
  Branches?: AslGraph[];
  Iterator?: AslGraph;
  ItemProcessor?: AslGraph;
}

interface AslGraph {
  StartAt?: string;
  States?: Record<string, AslState>;
}

type EdgeKind = 'next' | 'choice' | 'default' | 'catch' | 'end';

interface Node {
  id: string;
  kind: 'start' | 'end' | 'state' | 'dummy';
  name: string;
  type: string;
  width: number;
  height: number;
  /** the laid-out branches of a Parallel or Map state */
  branches: Array<{ label: string; graph: Laid }>;
  layer: number;
  order: number;
  x: number;
  y: number;
}

interface Edge {
  from: string;
  to: string;
  kind: EdgeKind;
  label?: string;
  /** the whole rule of a Choice branch */
  detail?: string;
  back: boolean;
  /** the dummy nodes a forward edge spanning several layers goes through */
  via: string[];
}

interface Laid {
  width: number;
  height: number;
  render(ox: number, oy: number): string;
}

interface Marks {
  visited: Set<string>;
  current: Set<string>;
  failed: Set<string>;
}

const CHAR = 7.2;
const LINE = 16;
const PAD_X = 12;
const MAX_CHARS = 26;
const LAYER_GAP = 52;
const NODE_GAP = 28;
const LANE_GAP = 14;
const MARGIN = 12;
const BRANCH_PAD = 10;

const asSet = (value: Iterable<string> | string | undefined) => new Set(typeof value === 'string' ? [value] : (value ?? []));

/**
 * Draws an ASL definition as an SVG graph: a box per state with its type, arrows for Next, each Choice rule and
 * its Default, Catch (dashed, labelled with the errors) and End; Parallel and Map states hold their branches.
 * States in `visited`, `current` and `failed` are highlighted, with a text mark as well as a colour.
 * Layout: layers by longest path from the start (loops drawn as arrows on the right), ordered by barycentre.
 * @example aslToSvg(machine.definition, { visited: ['Accuser réception'], current: 'Attendre la décision' })
 */
export function aslToSvg(definition: unknown, highlight: GraphHighlight = {}): string {
  const marks: Marks = { visited: asSet(highlight.visited), current: asSet(highlight.current), failed: asSet(highlight.failed) };
  const graph = (definition && typeof definition === 'object' ? definition : {}) as AslGraph;
  const laid = layoutGraph(graph, marks, true);
  const width = Math.ceil(laid.width + 2 * MARGIN);
  const height = Math.ceil(laid.height + 2 * MARGIN);
  const names = Object.keys(graph.States ?? {});
  return `<svg xmlns="http://www.w3.org/2000/svg" class="asl-graph" role="img" aria-labelledby="asl-title asl-desc" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="13">
<title id="asl-title">Graphe de la machine à états</title>
<desc id="asl-desc">${escapeHtml(`${names.length} états, départ : ${graph.StartAt ?? '—'}.`)}</desc>
<defs>
<marker id="asl-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#4a5260"/></marker>
<marker id="asl-arrow-catch" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#b42318"/></marker>
</defs>
<style>
.asl-node rect{fill:#f3f6fc;stroke:#3558a8;stroke-width:1.5}
.asl-node.t-Choice rect{fill:#fff8e6;stroke:#a16207}
.asl-node.t-Succeed rect{fill:#ecfdf3;stroke:#166534}
.asl-node.t-Fail rect{fill:#fef3f2;stroke:#b42318}
.asl-node.t-Pass rect,.asl-node.t-Wait rect{fill:#f6f7f9;stroke:#6b7280}
.asl-node.t-Parallel>rect,.asl-node.t-Map>rect{fill:#fbfcfe;stroke-dasharray:6 3}
.asl-node.visited>rect{fill:#dbeafe;stroke:#1d4ed8;stroke-width:2.5}
.asl-node.current>rect{fill:#fff1c2;stroke:#b45309;stroke-width:3.5}
.asl-node.failed>rect{fill:#fde2e1;stroke:#b42318;stroke-width:3.5}
.asl-terminal rect{fill:#15233f}.asl-terminal text{fill:#fff;font-weight:600}
.asl-name{font-weight:600;fill:#1b1f24}.asl-type{fill:#4a5260;font-size:11px}
.asl-edge{fill:none;stroke:#4a5260;stroke-width:1.4}
.asl-edge.catch{stroke:#b42318;stroke-dasharray:5 3}
.asl-label rect{fill:#fff;opacity:.92}.asl-label text{font-size:11px;fill:#374151}
.asl-label.catch text{fill:#b42318}
.asl-branch{fill:none;stroke:#9aa3b2;stroke-dasharray:3 3}
.asl-branch-label{font-size:11px;fill:#4a5260}
</style>
${laid.render(MARGIN, MARGIN)}
</svg>`;
}

/** Wraps a state name into lines of at most MAX_CHARS characters, cutting words longer than that. */
function wrap(text: string): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    for (let rest = word; rest.length > 0; ) {
      const piece = rest.slice(0, MAX_CHARS);
      rest = rest.slice(MAX_CHARS);
      if (line === '') line = piece;
      else if (line.length + 1 + piece.length <= MAX_CHARS) line += ` ${piece}`;
      else {
        lines.push(line);
        line = piece;
      }
    }
  }
  if (line !== '' || lines.length === 0) lines.push(line);
  return lines;
}

/** A short text for a Choice rule: `$.x == "a"`, or "condition composée" for And/Or/Not. */
export function choiceLabel(rule: Record<string, unknown>): string {
  if (typeof rule.Condition === 'string') return rule.Condition;
  // The last step of the path is what tells branches apart; the whole rule is in the arrow's tooltip.
  const variable = typeof rule.Variable === 'string' ? (rule.Variable.split('.').at(-1) ?? rule.Variable) : undefined;
  if (!variable) return 'condition composée';
  const operator = Object.keys(rule).find((key) => key !== 'Variable' && key !== 'Next');
  if (!operator) return variable;
  const value = rule[operator];
  const symbol: Record<string, string> = { Equals: '==', GreaterThan: '>', GreaterThanEquals: '>=', LessThan: '<', LessThanEquals: '<=' };
  // Longest suffix first: GreaterThanEquals is not Equals.
  const comparison = Object.entries(symbol)
    .sort(([a], [b]) => b.length - a.length)
    .find(([suffix]) => operator.endsWith(suffix) && !operator.endsWith('Path'));
  if (comparison) return `${variable} ${comparison[1]} ${JSON.stringify(value)}`;
  return `${variable} ${operator}${value === true ? '' : ` ${JSON.stringify(value)}`}`;
}

const withoutNext = (rule: Record<string, unknown>) => Object.fromEntries(Object.entries(rule).filter(([key]) => key !== 'Next'));

const truncate = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

function stateEdges(name: string, state: AslState): Array<Omit<Edge, 'back' | 'via'>> {
  const edges: Array<Omit<Edge, 'back' | 'via'>> = [];
  if (state.Next) edges.push({ from: name, to: state.Next, kind: 'next' });
  for (const rule of state.Choices ?? []) if (rule.Next) edges.push({ from: name, to: rule.Next, kind: 'choice', label: choiceLabel(rule), detail: JSON.stringify(withoutNext(rule)) });
  if (state.Default) edges.push({ from: name, to: state.Default, kind: 'default', label: 'par défaut' });
  for (const handler of state.Catch ?? []) {
    if (handler.Next) edges.push({ from: name, to: handler.Next, kind: 'catch', label: (handler.ErrorEquals ?? []).join(', ') });
  }
  return edges;
}

function layoutGraph(graph: AslGraph, marks: Marks, withTerminals: boolean): Laid {
  const states = graph.States ?? {};
  const nodes = new Map<string, Node>();
  const node = (id: string, kind: Node['kind'], name: string, type: string): Node => {
    const created: Node = { id, kind, name, type, width: 0, height: 0, branches: [], layer: 0, order: 0, x: 0, y: 0 };
    nodes.set(id, created);
    return created;
  };
  // Terminal markers use ids that no state name can take (state names are at most 80 characters).
  const START = '\u0000start';
  const END = '\u0000end';
  if (withTerminals) Object.assign(node(START, 'start', 'Début', ''), { width: 64, height: 28 });
  for (const [name, state] of Object.entries(states)) {
    const created = node(name, 'state', name, state.Type ?? '?');
    const branchGraphs: Array<{ label: string; graph: AslGraph }> =
      state.Type === 'Parallel'
        ? (state.Branches ?? []).map((branch, index) => ({ label: `Branche ${index + 1}`, graph: branch }))
        : state.Type === 'Map' && (state.ItemProcessor ?? state.Iterator)
          ? [{ label: 'Pour chaque élément', graph: (state.ItemProcessor ?? state.Iterator)! }]
          : [];
    created.branches = branchGraphs.map(({ label, graph: inner }) => ({ label, graph: layoutGraph(inner, marks, false) }));
    const lines = wrap(name);
    const textWidth = Math.max(...lines.map((l) => l.length), state.Type ? state.Type.length + 10 : 0) * CHAR + 2 * PAD_X;
    const headerHeight = lines.length * LINE + 26;
    if (created.branches.length > 0) {
      const innerWidth = created.branches.reduce((sum, b) => sum + b.graph.width + 2 * BRANCH_PAD, 0) + (created.branches.length - 1) * BRANCH_PAD;
      const innerHeight = Math.max(...created.branches.map((b) => b.graph.height)) + 2 * BRANCH_PAD + LINE;
      created.width = Math.max(textWidth, innerWidth + 2 * BRANCH_PAD);
      created.height = headerHeight + innerHeight + BRANCH_PAD;
    } else {
      created.width = textWidth;
      created.height = headerHeight;
    }
  }

  const raw: Array<Omit<Edge, 'back' | 'via'>> = [];
  if (withTerminals && graph.StartAt && nodes.has(graph.StartAt)) raw.push({ from: START, to: graph.StartAt, kind: 'next' });
  for (const [name, state] of Object.entries(states)) {
    for (const edge of stateEdges(name, state)) if (nodes.has(edge.to)) raw.push(edge);
    if (withTerminals && state.End === true) raw.push({ from: name, to: END, kind: 'end' });
  }
  if (raw.some((edge) => edge.to === END)) Object.assign(node(END, 'end', 'Fin', ''), { width: 64, height: 28 });

  // Depth-first from the start (then from states nothing reaches) finds the edges that close a loop.
  const outgoing = new Map<string, Array<Omit<Edge, 'back' | 'via'>>>();
  for (const edge of raw) outgoing.set(edge.from, [...(outgoing.get(edge.from) ?? []), edge]);
  const backEdges = new Set<Omit<Edge, 'back' | 'via'>>();
  const seen = new Set<string>();
  const onPath = new Set<string>();
  const discovery: string[] = [];
  const visit = (id: string) => {
    seen.add(id);
    onPath.add(id);
    discovery.push(id);
    for (const edge of outgoing.get(id) ?? []) {
      if (onPath.has(edge.to)) backEdges.add(edge);
      else if (!seen.has(edge.to)) visit(edge.to);
    }
    onPath.delete(id);
  };
  const roots = [withTerminals ? START : graph.StartAt, ...nodes.keys()].filter((id): id is string => id !== undefined && nodes.has(id));
  for (const root of roots) if (!seen.has(root)) visit(root);

  // Longest-path layers over the forward edges, in discovery order (a topological order of them).
  const forward = raw.filter((edge) => !backEdges.has(edge));
  const rank = new Map(discovery.map((id, index) => [id, index]));
  const byTopology = topologicalOrder(discovery, forward, rank);
  for (const id of byTopology) {
    for (const edge of forward) if (edge.from === id) nodes.get(edge.to)!.layer = Math.max(nodes.get(edge.to)!.layer, nodes.get(id)!.layer + 1);
  }
  const endNode = nodes.get(END);
  if (endNode) endNode.layer = Math.max(...[...nodes.values()].filter((n) => n !== endNode).map((n) => n.layer)) + 1;

  // Forward edges longer than one layer go through dummy nodes, one per layer crossed.
  const edges: Edge[] = raw.map((edge) => ({ ...edge, back: backEdges.has(edge), via: [] }));
  let dummies = 0;
  for (const edge of edges) {
    if (edge.back) continue;
    const from = nodes.get(edge.from)!;
    const to = nodes.get(edge.to)!;
    for (let layer = from.layer + 1; layer < to.layer; layer++) {
      const dummy = node(`\u0000dummy${dummies++}`, 'dummy', '', '');
      Object.assign(dummy, { layer, width: 8, height: 0 });
      edge.via.push(dummy.id);
    }
  }

  const layerCount = Math.max(0, ...[...nodes.values()].map((n) => n.layer)) + 1;
  const layers: Node[][] = Array.from({ length: layerCount }, () => []);
  const position = (id: string) => (rank.get(id) ?? rank.size + Number(id.replace(/\D/g, '')));
  for (const n of [...nodes.values()].sort((a, b) => position(a.id) - position(b.id))) layers[n.layer]!.push(n);
  layers.forEach((layer) => layer.forEach((n, index) => (n.order = index)));

  // Segments between adjacent layers, for ordering and placement.
  const segments: Array<[Node, Node]> = [];
  for (const edge of edges) {
    if (edge.back) continue;
    const chain = [edge.from, ...edge.via, edge.to].map((id) => nodes.get(id)!);
    for (let i = 0; i + 1 < chain.length; i++) segments.push([chain[i]!, chain[i + 1]!]);
  }
  const neighbours = (n: Node, up: boolean) => segments.filter(([a, b]) => (up ? b === n : a === n)).map(([a, b]) => (up ? a : b));
  const average = (values: number[]) => values.reduce((sum, v) => sum + v, 0) / values.length;
  for (let sweep = 0; sweep < 4; sweep++) {
    const up = sweep % 2 === 0;
    const sequence = up ? layers.slice(1) : layers.slice(0, -1).reverse();
    for (const layer of sequence) {
      const key = new Map(layer.map((n) => {
        const around = neighbours(n, up);
        return [n, around.length > 0 ? average(around.map((m) => m.order)) : n.order];
      }));
      layer.sort((a, b) => key.get(a)! - key.get(b)! || a.order - b.order);
      layer.forEach((n, index) => (n.order = index));
    }
  }

  // Heights: each layer as tall as its tallest node; x: each node under the mean of its neighbours, without overlap.
  // Loops run back through the gap under their source's layer and the gap over their target's: the top layer
  // needs one then.
  const topPad = edges.some((edge) => edge.back && nodes.get(edge.to)!.layer === 0) ? LAYER_GAP / 2 : 0;
  const layerTop: number[] = [];
  let y = topPad;
  for (const layer of layers) {
    const height = layerHeight(layer);
    layerTop.push(y);
    for (const n of layer) n.y = y + (height - n.height) / 2;
    y += height + LAYER_GAP;
  }
  const bottomPad = edges.some((edge) => edge.back && nodes.get(edge.from)!.layer === layers.length - 1) ? LAYER_GAP / 2 + 8 : 0;
  const contentHeight = Math.max(0, y - LAYER_GAP + bottomPad);
  for (const layer of layers) {
    let x = 0;
    for (const n of layer) {
      n.x = x;
      x += n.width + NODE_GAP;
    }
  }
  const centre = (n: Node) => n.x + n.width / 2;
  // Each pass packs a layer from the left and from the right towards the wanted places and takes the mean of the
  // two, which keeps the order and the gaps without drifting to one side.
  for (let pass = 0; pass < 4; pass++) {
    const up = pass % 2 === 0;
    const sequence = up ? layers.slice(1) : layers.slice(0, -1).reverse();
    for (const layer of sequence) {
      const wanted = layer.map((n) => {
        const around = neighbours(n, up);
        return around.length > 0 ? average(around.map(centre)) - n.width / 2 : n.x;
      });
      const fromLeft: number[] = [];
      const fromRight: number[] = [];
      layer.forEach((n, i) => (fromLeft[i] = i === 0 ? wanted[i]! : Math.max(wanted[i]!, fromLeft[i - 1]! + layer[i - 1]!.width + NODE_GAP)));
      for (let i = layer.length - 1; i >= 0; i--) {
        fromRight[i] = i === layer.length - 1 ? wanted[i]! : Math.min(wanted[i]!, fromRight[i + 1]! - layer[i]!.width - NODE_GAP);
      }
      layer.forEach((n, i) => (n.x = (fromLeft[i]! + fromRight[i]!) / 2));
    }
  }
  const minX = Math.min(...[...nodes.values()].map((n) => n.x));
  for (const n of nodes.values()) n.x -= minX;
  const contentWidth = Math.max(0, ...[...nodes.values()].map((n) => n.x + n.width));

  const backs = edges.filter((edge) => edge.back);
  const width = contentWidth + (backs.length > 0 ? LANE_GAP * (backs.length + 1) : 0);

  return {
    width,
    height: contentHeight,
    render(ox, oy) {
      const parts: string[] = [];
      // Exits spread along the bottom of a box, entries along the top, so parallel arrows stay apart.
      const exits = new Map<string, Edge[]>();
      const entries = new Map<string, Edge[]>();
      // Loops last, on the right, the side of their lanes.
      for (const edge of [...edges.filter((e) => !e.back), ...backs]) {
        exits.set(edge.from, [...(exits.get(edge.from) ?? []), edge]);
        entries.set(edge.to, [...(entries.get(edge.to) ?? []), edge]);
      }
      // Each arrow leaves and enters on the side it heads to, so arrows out of one box do not cross.
      const towards = (edge: Edge, end: 'exit' | 'entry') =>
        edge.back ? Infinity : centre(nodes.get(end === 'exit' ? (edge.via[0] ?? edge.to) : (edge.via.at(-1) ?? edge.from))!);
      for (const list of exits.values()) list.sort((a, b) => towards(a, 'exit') - towards(b, 'exit'));
      for (const list of entries.values()) list.sort((a, b) => towards(a, 'entry') - towards(b, 'entry'));
      const spread = (n: Node, list: Edge[] | undefined, edge: Edge) => {
        const count = list?.length ?? 1;
        const index = list?.indexOf(edge) ?? 0;
        const span = Math.min(n.width - 16, 44 * (count - 1));
        return ox + centre(n) - span / 2 + (count > 1 ? (span * index) / (count - 1) : 0);
      };
      // Arrows first, boxes over them.
      edges.forEach((edge, index) => {
        const from = nodes.get(edge.from)!;
        const to = nodes.get(edge.to)!;
        const cls = `asl-edge ${edge.kind}`;
        const marker = edge.kind === 'catch' ? 'url(#asl-arrow-catch)' : 'url(#asl-arrow)';
        let d: string;
        let labelAt: [number, number];
        if (edge.back) {
          const k = backs.indexOf(edge);
          const lane = ox + contentWidth + LANE_GAP * (k + 1);
          const x1 = spread(from, exits.get(edge.from), edge);
          const y1 = oy + from.y + from.height;
          const below = oy + layerTop[from.layer]! + layerHeight(layers[from.layer]!) + LAYER_GAP / 2 + (k % 3) * 4 - 4;
          const above = oy + layerTop[to.layer]! - LAYER_GAP / 2 + (k % 3) * 4 - 4;
          const x2 = spread(to, entries.get(edge.to), edge);
          d = `M${r(x1)},${r(y1)} V${r(below)} H${r(lane)} V${r(above)} H${r(x2)} V${r(oy + to.y)}`;
          labelAt = [x1 + 4, y1 + 13];
        } else {
          const points: Array<[number, number]> = [[spread(from, exits.get(edge.from), edge), oy + from.y + from.height]];
          for (const id of edge.via) {
            const dummy = nodes.get(id)!;
            const top = oy + layerTop[dummy.layer]!;
            points.push([ox + centre(dummy), top], [ox + centre(dummy), top + layerHeight(layers[dummy.layer]!)]);
          }
          points.push([spread(to, entries.get(edge.to), edge), oy + to.y]);
          d = `M${r(points[0]![0])},${r(points[0]![1])}`;
          for (let i = 1; i < points.length; i++) {
            const [x0, y0] = points[i - 1]!;
            const [x1, y1] = points[i]!;
            if (x0 === x1) d += ` V${r(y1)}`;
            else {
              const middle = (y0 + y1) / 2;
              d += ` C${r(x0)},${r(middle)} ${r(x1)},${r(middle)} ${r(x1)},${r(y1)}`;
            }
          }
          const [sx, sy] = points[0]!;
          const [nx, ny] = points[1]!;
          // Labels of a box's arrows alternate in height so that neighbours do not overlap.
          const stagger = ((exits.get(edge.from)?.indexOf(edge) ?? 0) % 2) * 14;
          labelAt = [(sx + nx) / 2, (sy + ny) / 2 - 2 + stagger];
        }
        parts.push(`<path class="${cls}" d="${d}" marker-end="${marker}" data-from="${escapeHtml(edge.from)}" data-to="${escapeHtml(edge.to)}" data-kind="${edge.kind}"><title>${escapeHtml(edgeTitle(edge, from, to))}</title></path>`);
        if (edge.label) {
          const text = truncate(edge.label, 26);
          const w = text.length * 6.2 + 8;
          const [lx, ly] = labelAt;
          const left = edge.back ? lx : lx - w / 2;
          parts.push(
            `<g class="asl-label ${edge.kind}" data-edge="${index}"><rect x="${r(left)}" y="${r(ly - 11)}" width="${r(w)}" height="15" rx="3"/><text x="${r(left + 4)}" y="${r(ly)}">${escapeHtml(text)}</text><title>${escapeHtml(edge.detail ?? edge.label)}</title></g>`,
          );
        }
      });
      for (const n of nodes.values()) parts.push(renderNode(n, ox, oy, marks));
      return parts.join('\n');
    },
  };
}

const layerHeight = (layer: Node[]) => Math.max(0, ...layer.map((n) => n.height));

const r = (value: number) => Math.round(value * 10) / 10;

function edgeTitle(edge: Edge, from: Node, to: Node): string {
  const kind = { next: 'puis', choice: 'si', default: 'sinon', catch: 'en cas d’erreur', end: 'fin' }[edge.kind];
  return `${from.name} → ${to.name} (${kind}${edge.kind === 'choice' || edge.kind === 'catch' ? ` ${edge.detail ?? edge.label}` : ''})`;
}

function renderNode(n: Node, ox: number, oy: number, marks: Marks): string {
  const x = ox + n.x;
  const y = oy + n.y;
  if (n.kind === 'dummy') return '';
  if (n.kind === 'start' || n.kind === 'end') {
    return `<g class="asl-terminal" data-terminal="${n.kind}"><rect x="${r(x)}" y="${r(y)}" width="${n.width}" height="${n.height}" rx="14"/><text x="${r(x + n.width / 2)}" y="${r(y + 18)}" text-anchor="middle">${n.name}</text></g>`;
  }
  const state = [
    marks.failed.has(n.name) ? 'failed' : marks.current.has(n.name) ? 'current' : '',
    marks.visited.has(n.name) || marks.current.has(n.name) || marks.failed.has(n.name) ? 'visited' : '',
  ].filter(Boolean);
  const mark = state.includes('failed') ? ' · ✗ échec' : state.includes('current') ? ' · ▶ en cours' : state.includes('visited') ? ' · ✓ passé' : '';
  const spoken = state.includes('failed') ? ', en échec' : state.includes('current') ? ', état actuel' : state.includes('visited') ? ', déjà passé' : '';
  const lines = wrap(n.name);
  const texts = lines.map((line, index) => `<text class="asl-name" x="${r(x + n.width / 2)}" y="${r(y + 18 + index * LINE)}" text-anchor="middle">${escapeHtml(line)}</text>`);
  const typeY = y + 18 + lines.length * LINE;
  const parts = [
    `<g class="${['asl-node', `t-${escapeHtml(n.type)}`, ...state].join(' ')}" data-state="${escapeHtml(n.name)}" data-type="${escapeHtml(n.type)}">`,
    `<title>${escapeHtml(`${n.name} (${n.type})${spoken}`)}</title>`,
    `<rect x="${r(x)}" y="${r(y)}" width="${r(n.width)}" height="${r(n.height)}" rx="${n.type === 'Choice' ? 14 : 6}"/>`,
    ...texts,
    `<text class="asl-type" x="${r(x + n.width / 2)}" y="${r(typeY)}" text-anchor="middle">${escapeHtml(n.type + mark)}</text>`,
  ];
  let bx = x + BRANCH_PAD + (n.width - 2 * BRANCH_PAD - (n.branches.reduce((sum, b) => sum + b.graph.width + 2 * BRANCH_PAD, 0) + (n.branches.length - 1) * BRANCH_PAD)) / 2;
  const by = typeY + BRANCH_PAD;
  for (const branch of n.branches) {
    const bw = branch.graph.width + 2 * BRANCH_PAD;
    const bh = branch.graph.height + 2 * BRANCH_PAD + LINE;
    parts.push(
      `<g class="asl-branch-group" data-branch="${escapeHtml(branch.label)}"><rect class="asl-branch" x="${r(bx)}" y="${r(by)}" width="${r(bw)}" height="${r(bh)}" rx="4"/><text class="asl-branch-label" x="${r(bx + 6)}" y="${r(by + 13)}">${escapeHtml(branch.label)}</text>`,
      branch.graph.render(bx + BRANCH_PAD, by + BRANCH_PAD + LINE),
      '</g>',
    );
    bx += bw + BRANCH_PAD;
  }
  parts.push('</g>');
  return parts.join('\n');
}

/** Ids in an order where every forward edge goes from an earlier id to a later one (Kahn, ties by discovery). */
function topologicalOrder(ids: string[], edges: Array<{ from: string; to: string }>, rank: Map<string, number>): string[] {
  const indegree = new Map(ids.map((id) => [id, 0]));
  for (const edge of edges) indegree.set(edge.to, (indegree.get(edge.to) ?? 0) + 1);
  const ready = ids.filter((id) => indegree.get(id) === 0);
  const order: string[] = [];
  while (ready.length > 0) {
    ready.sort((a, b) => rank.get(a)! - rank.get(b)!);
    const id = ready.shift()!;
    order.push(id);
    for (const edge of edges) {
      if (edge.from !== id) continue;
      const left = indegree.get(edge.to)! - 1;
      indegree.set(edge.to, left);
      if (left === 0) ready.push(edge.to);
    }
  }
  return order;
}
