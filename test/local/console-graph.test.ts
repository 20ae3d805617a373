import { describe, expect, it } from 'vitest';
import { aslToSvg, choiceLabel } from '../../infra/local/console/graph.js';
import { prettyJson } from '../../infra/local/console/html.js';

/** The boxes and arrows of an SVG drawn by aslToSvg, read back from its data attributes. */
function parse(svg: string) {
  const nodes = [...svg.matchAll(/<g class="asl-node ([^"]*)" data-state="([^"]*)" data-type="([^"]*)">/g)].map(([, classes, name, type]) => ({
    name: name!,
    type: type!,
    classes: classes!.trim().split(/\s+/),
  }));
  const edges = [...svg.matchAll(/<path class="asl-edge [^"]*" d="([^"]*)" marker-end="[^"]*" data-from="([^"]*)" data-to="([^"]*)" data-kind="([^"]*)">/g)].map(
    ([, d, from, to, kind]) => ({ d: d!, from: from!, to: to!, kind: kind! }),
  );
  const labels = [...svg.matchAll(/<g class="asl-label [^"]*" data-edge="\d+">.*?<text[^>]*>([^<]*)<\/text>/g)].map(([, text]) => text);
  return { nodes, edges, labels };
}

const referralLike = {
  StartAt: 'Accuser réception',
  States: {
    'Accuser réception': { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Next: 'Attendre la décision' },
    'Attendre la décision': {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Next: 'Quelle décision ?',
      Catch: [{ ErrorEquals: ['States.Timeout'], Next: 'Relancer' }],
    },
    Relancer: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Next: 'Attendre la décision' },
    'Quelle décision ?': {
      Type: 'Choice',
      Choices: [
        { Variable: '$.decision.outcome', StringEquals: 'accepted', Next: 'Acceptée' },
        { And: [{ Variable: '$.a', IsPresent: true }, { Variable: '$.b', BooleanEquals: true }], Next: 'Liste' },
      ],
      Default: 'Refusée',
    },
    Liste: { Type: 'Wait', Seconds: 60, End: true },
    Acceptée: { Type: 'Succeed' },
    Refusée: { Type: 'Fail', Error: 'Refused' },
  },
};

describe('aslToSvg', () => {
  it('draws a box per state with its type, and Début/Fin markers', () => {
    const svg = aslToSvg(referralLike);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain('role="img"');
    const { nodes } = parse(svg);
    expect(nodes.map((n) => `${n.name}:${n.type}`).sort()).toEqual(
      ['Accuser réception:Task', 'Attendre la décision:Task', 'Relancer:Task', 'Quelle décision ?:Choice', 'Liste:Wait', 'Acceptée:Succeed', 'Refusée:Fail'].sort(),
    );
    expect(svg).toContain('data-terminal="start"');
    expect(svg).toContain('data-terminal="end"');
  });

  it('draws Next, each Choice rule, Default, Catch and End, including a loop', () => {
    const { edges, labels } = parse(aslToSvg(referralLike));
    const described = edges.map((e) => `${e.from.replace('\u0000', '^')} -${e.kind}-> ${e.to.replace('\u0000', '^')}`).sort();
    expect(described).toEqual(
      [
        '^start -next-> Accuser réception',
        'Accuser réception -next-> Attendre la décision',
        'Attendre la décision -next-> Quelle décision ?',
        'Attendre la décision -catch-> Relancer',
        'Relancer -next-> Attendre la décision',
        'Quelle décision ? -choice-> Acceptée',
        'Quelle décision ? -choice-> Liste',
        'Quelle décision ? -default-> Refusée',
        'Liste -end-> ^end',
      ].sort(),
    );
    expect(labels).toEqual(expect.arrayContaining(['States.Timeout', 'outcome == &quot;accepted&quot;', 'condition composée', 'par défaut']));
    // Every coordinate is a finite number.
    for (const edge of edges) expect(edge.d).not.toMatch(/NaN|Infinity/);
  });

  it('puts each state below the states that lead to it, loops aside', () => {
    const svg = aslToSvg(referralLike);
    const top = (name: string) => Number(new RegExp(`data-state="${name.replace(/[?]/g, '\\?')}"[^>]*>\\n<title>[^<]*</title>\\n<rect x="[\\d.]+" y="([\\d.]+)"`).exec(svg)![1]);
    expect(top('Accuser réception')).toBeLessThan(top('Attendre la décision'));
    expect(top('Attendre la décision')).toBeLessThan(top('Relancer'));
    expect(top('Attendre la décision')).toBeLessThan(top('Quelle décision ?'));
    expect(top('Quelle décision ?')).toBeLessThan(top('Acceptée'));
  });

  it('highlights visited, current and failed states with a class and a text mark', () => {
    const { nodes } = parse(aslToSvg(referralLike, { visited: ['Accuser réception'], current: 'Attendre la décision', failed: ['Refusée'] }));
    const classes = (name: string) => nodes.find((n) => n.name === name)!.classes;
    expect(classes('Accuser réception')).toEqual(['t-Task', 'visited']);
    expect(classes('Attendre la décision')).toEqual(['t-Task', 'current', 'visited']);
    expect(classes('Refusée')).toEqual(['t-Fail', 'failed', 'visited']);
    expect(classes('Relancer')).toEqual(['t-Task']);
    const svg = aslToSvg(referralLike, { current: 'Attendre la décision' });
    expect(svg).toContain('Task · ▶ en cours');
    expect(svg).toContain('<title>Attendre la décision (Task), état actuel</title>');
  });

  it('draws Parallel branches and a Map iterator inside their state', () => {
    const svg = aslToSvg({
      StartAt: 'Ensemble',
      States: {
        Ensemble: {
          Type: 'Parallel',
          Next: 'Chacun',
          Branches: [
            { StartAt: 'A', States: { A: { Type: 'Task', Next: 'B' }, B: { Type: 'Pass', End: true } } },
            { StartAt: 'C', States: { C: { Type: 'Task', End: true } } },
          ],
        },
        Chacun: { Type: 'Map', ItemProcessor: { StartAt: 'X', States: { X: { Type: 'Task', End: true } } }, End: true },
      },
    }, { failed: 'X' });
    const { nodes, edges } = parse(svg);
    expect(nodes.map((n) => n.name)).toEqual(expect.arrayContaining(['Ensemble', 'A', 'B', 'C', 'Chacun', 'X']));
    expect(nodes.find((n) => n.name === 'X')!.classes).toContain('failed');
    expect(svg).toContain('data-branch="Branche 1"');
    expect(svg).toContain('data-branch="Branche 2"');
    expect(svg).toContain('data-branch="Pour chaque élément"');
    // Branch A's group closes after its states: they are drawn inside the Parallel box.
    const ensemble = svg.indexOf('data-state="Ensemble"');
    expect(svg.indexOf('data-state="A"')).toBeGreaterThan(ensemble);
    expect(svg.indexOf('data-state="A"')).toBeLessThan(svg.indexOf('data-state="Chacun"'));
    expect(edges.some((e) => e.from === 'A' && e.to === 'B')).toBe(true);
    // Only the top level has the Début and Fin markers.
    expect(svg.match(/data-terminal="start"/g)).toHaveLength(1);
  });

  it('escapes state names, types and labels', () => {
    const svg = aslToSvg({
      StartAt: '<script>alert("x")</script>',
      States: {
        '<script>alert("x")</script>': { Type: 'Choice"><b', Choices: [{ Variable: '$.a', StringEquals: '</text><script>', Next: "O'Neil & co" }] },
        "O'Neil & co": { Type: 'Succeed' },
      },
    });
    expect(svg).not.toContain('<script>');
    expect(svg).not.toContain('"><b');
    expect(svg).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(svg).toContain('O&#39;Neil &amp; co');
  });

  it('survives definitions that are empty, broken or point to missing states', () => {
    expect(parse(aslToSvg({})).nodes).toEqual([]);
    expect(parse(aslToSvg(null)).nodes).toEqual([]);
    const { nodes, edges } = parse(aslToSvg({ StartAt: 'A', States: { A: { Type: 'Task', Next: 'Nowhere' }, Orphan: { Type: 'Pass', Next: 'Orphan' } } }));
    expect(nodes.map((n) => n.name).sort()).toEqual(['A', 'Orphan']);
    expect(edges.filter((e) => e.from === 'A')).toEqual([]);
    expect(edges.some((e) => e.from === 'Orphan' && e.to === 'Orphan')).toBe(true);
  });

  it('is a pure function: the same definition gives the same SVG', () => {
    expect(aslToSvg(referralLike, { visited: ['Relancer'] })).toBe(aslToSvg(referralLike, { visited: ['Relancer'] }));
  });
});

describe('choiceLabel', () => {
  it('summarises a rule by the last step of its variable', () => {
    expect(choiceLabel({ Variable: '$.decision.outcome', StringEquals: 'waitlisted', Next: 'x' })).toBe('outcome == "waitlisted"');
    expect(choiceLabel({ Variable: '$.n', NumericGreaterThanEquals: 3 })).toBe('n >= 3');
    expect(choiceLabel({ Variable: '$.deadline.decision', IsPresent: true })).toBe('decision IsPresent');
    expect(choiceLabel({ Variable: '$.a', StringEqualsPath: '$.b' })).toBe('a StringEqualsPath "$.b"');
    expect(choiceLabel({ Or: [] })).toBe('condition composée');
    expect(choiceLabel({ Condition: '{% $x = 1 %}' })).toBe('{% $x = 1 %}');
  });
});

describe('prettyJson (the inputs and outputs of an execution page)', () => {
  it('indents JSON, and shows as it came what is not JSON or nests too deep to indent', () => {
    expect(prettyJson('{"a":[1,{"b":"]}"}]}')).toBe('{\n  "a": [\n    1,\n    {\n      "b": "]}"\n    }\n  ]\n}');
    expect(prettyJson('{not json')).toBe('{not json');
    expect(prettyJson(undefined)).toBe('');
    // 3,000 nested arrays (6 KB) indented would be 36 MB of spaces, seconds of the main thread.
    const deep = `${'['.repeat(3000)}${']'.repeat(3000)}`;
    const started = performance.now();
    expect(prettyJson(deep)).toBe(deep);
    expect(performance.now() - started).toBeLessThan(100);
    const sixtyFour = `${'['.repeat(64)}${']'.repeat(64)}`;
    expect(prettyJson(sixtyFour)).toBe(JSON.stringify(JSON.parse(sixtyFour), null, 2));
    // Brackets inside strings do not count.
    expect(prettyJson(JSON.stringify({ text: '['.repeat(100) }))).toBe(JSON.stringify({ text: '['.repeat(100) }, null, 2));
  });
});
