import { describe, expect, it } from 'vitest';
import { decodeMethodResponse, encodeMethodCall, encodeValue, parseXml, XmlRpcFormatError } from '../../harness/clients/xmlrpc.ts';

// Written by Python's xmlrpc.client.dumps(..., methodresponse=True), which Odoo's /xmlrpc/2 uses.
const PYTHON_RESULT = `<?xml version='1.0'?>
<methodResponse>
<params>
<param>
<value><array><data>
<value><struct>
<member>
<name>id</name>
<value><int>7</int></value>
</member>
<member>
<name>currency_id</name>
<value><array><data>
<value><int>1</int></value>
<value><string>CAD</string></value>
</data></array></value>
</member>
<member>
<name>amount</name>
<value><double>146.2</double></value>
</member>
<member>
<name>active</name>
<value><boolean>1</boolean></value>
</member>
<member>
<name>note</name>
<value><string>a &lt; b &amp; "c"</string></value>
</member>
<member>
<name>empty</name>
<value><string></string></value>
</member>
</struct></value>
</data></array></value>
</param>
</params>
</methodResponse>
`;

const PYTHON_FAULT = `<?xml version='1.0'?>
<methodResponse>
<fault>
<value><struct>
<member>
<name>faultCode</name>
<value><int>2</int></value>
</member>
<member>
<name>faultString</name>
<value><string>You cannot create recursive Partner hierarchies.</string></value>
</member>
</struct></value>
</fault>
</methodResponse>
`;

describe('XML-RPC encoding', () => {
  it('encodes every type Odoo takes, escaping text', () => {
    expect(encodeValue(7)).toBe('<value><int>7</int></value>');
    expect(encodeValue(2 ** 40)).toBe('<value><i8>1099511627776</i8></value>');
    expect(encodeValue(2.5)).toBe('<value><double>2.5</double></value>');
    expect(encodeValue(true)).toBe('<value><boolean>1</boolean></value>');
    expect(encodeValue(null)).toBe('<value><nil/></value>');
    expect(encodeValue('a < b & c')).toBe('<value><string>a &lt; b &amp; c</string></value>');
    expect(encodeValue(new Date(Date.UTC(2026, 0, 31, 23, 59, 59)))).toBe('<value><dateTime.iso8601>20260131T23:59:59</dateTime.iso8601></value>');
    expect(encodeValue(new Uint8Array([104, 105]))).toBe('<value><base64>aGk=</base64></value>');
    expect(encodeValue([1, 'x'])).toBe('<value><array><data><value><int>1</int></value><value><string>x</string></value></data></array></value>');
    // undefined members are left out, like absent keyword arguments.
    expect(encodeValue({ limit: 1, order: undefined })).toBe('<value><struct><member><name>limit</name><value><int>1</int></value></member></struct></value>');
  });

  it('refuses numbers XML-RPC cannot carry', () => {
    expect(() => encodeValue(Number.NaN)).toThrow(TypeError);
    expect(() => encodeValue(Number.POSITIVE_INFINITY)).toThrow(TypeError);
  });

  it('writes a methodCall with its name and positional params', () => {
    expect(encodeMethodCall('authenticate', ['db', 'admin', 'key', {}])).toBe(
      '<?xml version="1.0"?>\n<methodCall><methodName>authenticate</methodName><params>' +
        '<param><value><string>db</string></value></param><param><value><string>admin</string></value></param>' +
        '<param><value><string>key</string></value></param><param><value><struct></struct></value></param></params></methodCall>\n',
    );
  });
});

describe('XML-RPC decoding', () => {
  it("reads Python's methodResponse: nested arrays and structs, entities, empty strings", () => {
    expect(decodeMethodResponse(PYTHON_RESULT)).toEqual({
      kind: 'result',
      value: [{ id: 7, currency_id: [1, 'CAD'], amount: 146.2, active: true, note: 'a < b & "c"', empty: '' }],
    });
  });

  it('reads a fault', () => {
    expect(decodeMethodResponse(PYTHON_FAULT)).toEqual({ kind: 'fault', faultCode: 2, faultString: 'You cannot create recursive Partner hierarchies.' });
  });

  it('reads untyped values as strings, nil, i4, base64 and character references', () => {
    const response = (value: string) => `<methodResponse><params><param><value>${value}</value></param></params></methodResponse>`;
    expect(decodeMethodResponse(response('plain text'))).toEqual({ kind: 'result', value: 'plain text' });
    expect(decodeMethodResponse(response('<nil/>'))).toEqual({ kind: 'result', value: null });
    expect(decodeMethodResponse(response('<i4>-3</i4>'))).toEqual({ kind: 'result', value: -3 });
    expect(decodeMethodResponse(response('<string>&#233;t&#xE9; <![CDATA[<raw>]]></string>'))).toEqual({ kind: 'result', value: 'été <raw>' });
    const bytes = decodeMethodResponse(response('<base64>aGk=</base64>'));
    expect(bytes.kind === 'result' && Array.from(bytes.value as Uint8Array)).toEqual([104, 105]);
  });

  it('round-trips what it encodes', () => {
    const value = { ids: [1, 2], context: { lang: 'fr_CA', active_test: false }, amount: 0.5, name: 'R&D <x>' };
    const encoded = `<methodResponse><params><param>${encodeValue(value)}</param></params></methodResponse>`;
    expect(decodeMethodResponse(encoded)).toEqual({ kind: 'result', value });
  });

  it('refuses malformed documents with a format error', () => {
    expect(() => parseXml('<a><b></a>')).toThrow(XmlRpcFormatError);
    expect(() => parseXml('<a>')).toThrow(/unclosed <a>/);
    expect(() => decodeMethodResponse('<html><body>502</body></html>')).toThrow(/expected <methodResponse>/);
    expect(() => decodeMethodResponse('<methodResponse><params><param><value><int>x</int></value></param></params></methodResponse>')).toThrow(/bad <int>/);
    expect(() => decodeMethodResponse('<methodResponse><params><param><value><decimal>1</decimal></value></param></params></methodResponse>')).toThrow(/unknown XML-RPC type/);
  });
});
