// The XML-RPC Odoo speaks (/xmlrpc/2/common, /xmlrpc/2/object), encoded and decoded by the `xmlrpc`
// npm package; the transport stays the client's own fetch (keep-alive, timeouts, typed errors).
// Odoo's server side is Python's xmlrpc.client, with allow_none.
import { Readable } from 'node:stream';
import Deserializer from 'xmlrpc/lib/deserializer.js';
import Serializer from 'xmlrpc/lib/serializer.js';

export type XmlRpcValue = null | boolean | number | string | Date | Uint8Array | XmlRpcValue[] | { [key: string]: XmlRpcValue | undefined };

export type XmlRpcResponse = { kind: 'result'; value: XmlRpcValue } | { kind: 'fault'; faultCode: number | string; faultString: string };

export class XmlRpcFormatError extends Error {}

/** A methodCall document. Struct members that are undefined are left out (Python has no undefined). */
export function encodeMethodCall(method: string, params: XmlRpcValue[]): string {
  for (const param of params) assertEncodable(param);
  return Serializer.serializeMethodCall(method, params.map(prune));
}

/** A methodResponse document: its value, or its fault. */
export function decodeMethodResponse(xml: string): Promise<XmlRpcResponse> {
  return new Promise((resolve, reject) => {
    new Deserializer().deserializeMethodResponse(
      Readable.from([xml]),
      (error: (Error & { faultCode?: number | string; faultString?: string }) | null, value: unknown) => {
        if (error && error.faultCode !== undefined)
          resolve({ kind: 'fault', faultCode: error.faultCode, faultString: error.faultString ?? '' });
        else if (error) reject(new XmlRpcFormatError(`not an XML-RPC methodResponse: ${error.message}`));
        else resolve({ kind: 'result', value: value as XmlRpcValue });
      },
    );
  });
}

function prune(value: XmlRpcValue | undefined): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value);
  if (Array.isArray(value)) return value.map(prune);
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, member]) => member !== undefined)
        .map(([name, member]) => [name, prune(member)]),
    );
  }
  return value;
}

/** XML-RPC carries no NaN or infinity (the package would write them as text Python cannot read). */
function assertEncodable(value: XmlRpcValue | undefined): void {
  if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError(`XML-RPC cannot encode ${value}`);
  if (Array.isArray(value)) value.forEach(assertEncodable);
  else if (value && typeof value === 'object' && !(value instanceof Date) && !(value instanceof Uint8Array))
    Object.values(value).forEach(assertEncodable);
}
