// The XML-RPC subset Odoo speaks (/xmlrpc/2/common, /xmlrpc/2/object): methodCall encoding and
// methodResponse decoding, with no dependency. Odoo's server side is Python's xmlrpc.client.

export type XmlRpcValue =
  | null
  | boolean
  | number
  | string
  | Date
  | Uint8Array
  | XmlRpcValue[]
  | { [key: string]: XmlRpcValue | undefined };

export type XmlRpcResponse = { kind: 'result'; value: XmlRpcValue } | { kind: 'fault'; faultCode: number | string; faultString: string };

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

// ------------------------------------------------------------------------------------ encoding

export function encodeMethodCall(method: string, params: XmlRpcValue[]): string {
  const encoded = params.map((param) => `<param>${encodeValue(param)}</param>`).join('');
  return `<?xml version="1.0"?>\n<methodCall><methodName>${escapeXml(method)}</methodName><params>${encoded}</params></methodCall>\n`;
}

export function encodeValue(value: XmlRpcValue | undefined): string {
  return `<value>${encodeInner(value)}</value>`;
}

function encodeInner(value: XmlRpcValue | undefined): string {
  if (value === null || value === undefined) return '<nil/>';
  if (typeof value === 'boolean') return `<boolean>${value ? 1 : 0}</boolean>`;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`XML-RPC cannot encode ${value}`);
    if (Number.isInteger(value)) return value >= INT32_MIN && value <= INT32_MAX ? `<int>${value}</int>` : `<i8>${value}</i8>`;
    // String(number) is the shortest text that reads back as the same double, like Python's repr.
    return `<double>${String(value)}</double>`;
  }
  if (typeof value === 'string') return `<string>${escapeXml(value)}</string>`;
  if (value instanceof Date) return `<dateTime.iso8601>${isoCompact(value)}</dateTime.iso8601>`;
  if (value instanceof Uint8Array) return `<base64>${Buffer.from(value).toString('base64')}</base64>`;
  if (Array.isArray(value)) return `<array><data>${value.map(encodeValue).join('')}</data></array>`;
  const members = Object.entries(value)
    .filter(([, member]) => member !== undefined)
    .map(([name, member]) => `<member><name>${escapeXml(name)}</name>${encodeValue(member)}</member>`);
  return `<struct>${members.join('')}</struct>`;
}

/** xmlrpc.client's DateTime format: 20260131T23:59:59 (UTC, as Odoo stores datetimes). */
function isoCompact(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, '').replace(/-/g, '');
}

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

// ------------------------------------------------------------------------------------ decoding

interface XmlElement {
  name: string;
  children: XmlNode[];
}
type XmlNode = XmlElement | string;

export function decodeMethodResponse(xml: string): XmlRpcResponse {
  const root = parseXml(xml);
  if (root.name !== 'methodResponse') throw new XmlRpcFormatError(`expected <methodResponse>, got <${root.name}>`);
  const [body] = elements(root);
  if (!body) throw new XmlRpcFormatError('empty <methodResponse>');
  if (body.name === 'fault') {
    const fault = decodeValue(onlyElement(body, 'value'));
    if (!isStruct(fault)) throw new XmlRpcFormatError('<fault> does not hold a struct');
    const { faultCode, faultString } = fault;
    if (typeof faultCode !== 'number' && typeof faultCode !== 'string') throw new XmlRpcFormatError('fault without faultCode');
    return { kind: 'fault', faultCode, faultString: typeof faultString === 'string' ? faultString : String(faultString ?? '') };
  }
  if (body.name !== 'params') throw new XmlRpcFormatError(`expected <params> or <fault>, got <${body.name}>`);
  const param = onlyElement(body, 'param');
  return { kind: 'result', value: decodeValue(onlyElement(param, 'value')) };
}

export class XmlRpcFormatError extends Error {
  override name = 'XmlRpcFormatError';
}

export function decodeValue(element: XmlElement): XmlRpcValue {
  const [typed] = elements(element);
  // <value>text</value> without a type element is a string.
  if (!typed) return text(element);
  const content = text(typed);
  switch (typed.name) {
    case 'int':
    case 'i4':
    case 'i8':
      if (!/^\s*[-+]?\d+\s*$/.test(content)) throw new XmlRpcFormatError(`bad <${typed.name}> ${content}`);
      return Number(content);
    case 'boolean':
      if (content.trim() !== '0' && content.trim() !== '1') throw new XmlRpcFormatError(`bad <boolean> ${content}`);
      return content.trim() === '1';
    case 'double':
      return Number(content);
    case 'string':
      return content;
    case 'nil':
      return null;
    case 'dateTime.iso8601':
      // Odoo sends datetimes as strings anyway; a typed one is kept as its text.
      return content.trim();
    case 'base64':
      return new Uint8Array(Buffer.from(content.replace(/\s+/g, ''), 'base64'));
    case 'array':
      return elements(onlyElement(typed, 'data')).map((value) => decodeValue(expectName(value, 'value')));
    case 'struct': {
      const struct: { [key: string]: XmlRpcValue } = {};
      for (const member of elements(typed)) {
        expectName(member, 'member');
        const name = text(onlyElement(member, 'name'));
        struct[name] = decodeValue(onlyElement(member, 'value'));
      }
      return struct;
    }
    default:
      throw new XmlRpcFormatError(`unknown XML-RPC type <${typed.name}>`);
  }
}

function isStruct(value: XmlRpcValue): value is { [key: string]: XmlRpcValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date) && !(value instanceof Uint8Array);
}

function elements(element: XmlElement): XmlElement[] {
  return element.children.filter((child): child is XmlElement => typeof child !== 'string');
}

function text(element: XmlElement): string {
  return element.children.filter((child): child is string => typeof child === 'string').join('');
}

function onlyElement(parent: XmlElement, name: string): XmlElement {
  const found = elements(parent).find((child) => child.name === name);
  if (!found) throw new XmlRpcFormatError(`<${parent.name}> has no <${name}>`);
  return found;
}

function expectName(element: XmlElement, name: string): XmlElement {
  if (element.name !== name) throw new XmlRpcFormatError(`expected <${name}>, got <${element.name}>`);
  return element;
}

// ------------------------------------------------------------------------------ a tiny XML parser

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decodeEntities(raw: string): string {
  return raw.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-z]+);/g, (whole, entity: string) => {
    if (entity.startsWith('#x')) return String.fromCodePoint(parseInt(entity.slice(2), 16));
    if (entity.startsWith('#')) return String.fromCodePoint(parseInt(entity.slice(1), 10));
    const named = ENTITIES[entity];
    if (named === undefined) throw new XmlRpcFormatError(`unknown entity ${whole}`);
    return named;
  });
}

/** Elements and text only (attributes are ignored: XML-RPC has none); enough for methodResponse. */
export function parseXml(xml: string): XmlElement {
  const stack: XmlElement[] = [{ name: '#document', children: [] }];
  const tag = /<(\/?)([A-Za-z_][\w.:-]*)([^>]*?)(\/?)>|<\?[\s\S]*?\?>|<!--[\s\S]*?-->|<!\[CDATA\[([\s\S]*?)\]\]>/g;
  let cursor = 0;
  for (let match = tag.exec(xml); match; match = tag.exec(xml)) {
    const top = stack[stack.length - 1]!;
    if (match.index > cursor) top.children.push(decodeEntities(xml.slice(cursor, match.index)));
    cursor = tag.lastIndex;
    const [whole, closing, name, , selfClosing, cdata] = match;
    if (cdata !== undefined) {
      top.children.push(cdata);
    } else if (whole.startsWith('<?') || whole.startsWith('<!--')) {
      continue;
    } else if (closing) {
      if (top.name !== name) throw new XmlRpcFormatError(`</${name}> closes <${top.name}>`);
      stack.pop();
    } else {
      const element: XmlElement = { name: name!, children: [] };
      top.children.push(element);
      if (!selfClosing) stack.push(element);
    }
  }
  if (stack.length !== 1) throw new XmlRpcFormatError(`unclosed <${stack[stack.length - 1]!.name}>`);
  if (xml.slice(cursor).trim()) throw new XmlRpcFormatError('text after the root element');
  const roots = elements(stack[0]!);
  if (roots.length !== 1) throw new XmlRpcFormatError(`expected one root element, found ${roots.length}`);
  return roots[0]!;
}
