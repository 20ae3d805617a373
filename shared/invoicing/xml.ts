/**
 * The little XML the invoices need, without a dependency: escaping for the Factur-X writer, and a parser for the
 * documents we write ourselves (elements, attributes, text, the five entities and character references, comments,
 * CDATA, the declaration), so the EN 16931 checker reads the XML as a receiver would instead of trusting our model.
 */

export function escapeXml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

export interface XmlElement {
  /** The qualified name as written (`ram:ID`). */
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  /** The element's own text (its text nodes joined), unescaped. */
  text: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function unescapeXml(value: string): string {
  return value.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-z]+);/g, (whole, ref: string) => {
    if (ref.startsWith('#x')) return String.fromCodePoint(parseInt(ref.slice(2), 16));
    if (ref.startsWith('#')) return String.fromCodePoint(Number(ref.slice(1)));
    const entity = ENTITIES[ref];
    if (entity === undefined) throw new SyntaxError(`unknown XML entity ${whole}`);
    return entity;
  });
}

const NAME = /^[A-Za-z_][\w.:-]*/;
const ATTRIBUTE = /^\s+([A-Za-z_][\w.:-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/;

/** Parses a well-formed document into its root element; throws a SyntaxError otherwise. */
export function parseXml(source: string): XmlElement {
  let at = 0;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  const fail = (what: string): never => {
    throw new SyntaxError(`XML: ${what} at offset ${at}`);
  };
  while (at < source.length) {
    const lt = source.indexOf('<', at);
    const textEnd = lt === -1 ? source.length : lt;
    if (textEnd > at) {
      const text = source.slice(at, textEnd);
      if (stack.length > 0) stack[stack.length - 1].text += unescapeXml(text);
      else if (text.trim() !== '') fail('text outside the root element');
      at = textEnd;
      continue;
    }
    if (source.startsWith('<?', at)) {
      at = source.indexOf('?>', at) + 2;
      if (at === 1) fail('unterminated declaration');
    } else if (source.startsWith('<!--', at)) {
      at = source.indexOf('-->', at) + 3;
      if (at === 2) fail('unterminated comment');
    } else if (source.startsWith('<![CDATA[', at)) {
      const end = source.indexOf(']]>', at);
      if (end === -1 || stack.length === 0) fail('misplaced CDATA');
      stack[stack.length - 1].text += source.slice(at + 9, end);
      at = end + 3;
    } else if (source.startsWith('</', at)) {
      const name = NAME.exec(source.slice(at + 2))?.[0] ?? fail('bad closing tag');
      const open = stack.pop();
      if (!open || open.name !== name) fail(`</${name}> does not close <${open?.name ?? ''}>`);
      at = source.indexOf('>', at) + 1;
      if (stack.length === 0) root = open;
    } else {
      at += 1;
      const name = NAME.exec(source.slice(at))?.[0] ?? fail('bad tag name');
      at += name.length;
      const element: XmlElement = { name, attributes: {}, children: [], text: '' };
      for (let match = ATTRIBUTE.exec(source.slice(at)); match; match = ATTRIBUTE.exec(source.slice(at))) {
        element.attributes[match[1]] = unescapeXml(match[2] ?? match[3]);
        at += match[0].length;
      }
      const close = /^\s*(\/?)>/.exec(source.slice(at)) ?? fail(`bad tag <${name}>`);
      at += close[0].length;
      if (stack.length > 0) stack[stack.length - 1].children.push(element);
      else if (root) fail('a second root element');
      if (close[1] === '/') {
        if (stack.length === 0) root = element;
      } else stack.push(element);
    }
  }
  if (stack.length > 0 || !root) fail('unclosed element');
  return root!;
}

/** The children of `element` named `name` (qualified, e.g. `ram:ID`). */
export const childrenNamed = (element: XmlElement | undefined, name: string): XmlElement[] => element?.children.filter((c) => c.name === name) ?? [];

/** The first element down a path of child names, if there is one. */
export function at(element: XmlElement | undefined, ...path: string[]): XmlElement | undefined {
  let current = element;
  for (const name of path) current = current?.children.find((c) => c.name === name);
  return current;
}

/** The trimmed text down a path, or undefined when the element is missing. */
export function textAt(element: XmlElement | undefined, ...path: string[]): string | undefined {
  return at(element, ...path)?.text.trim();
}
