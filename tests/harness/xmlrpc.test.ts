import { describe, expect, it } from 'vitest';
import { decodeMethodResponse, encodeMethodCall, XmlRpcFormatError } from '../../harness/clients/xmlrpc.ts';
import { readCall } from '../helpers.ts';

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

describe('XML-RPC encoding (the xmlrpc package)', () => {
  it('writes a methodCall a server reads back: every type Odoo takes, text escaped', async () => {
    const when = new Date(Date.UTC(2026, 0, 31, 23, 59, 59));
    const xml = encodeMethodCall('execute_kw', [
      'pilot',
      2,
      'k3y',
      'res.partner',
      'write',
      [[7]],
      {
        vals: {
          name: 'a < b & "c"',
          active: true,
          credit: 146.2,
          parent_id: null,
          image: new Uint8Array([1, 2, 3]),
          when,
          skipped: undefined,
        },
      },
    ]);
    expect(xml).toMatch(/^<\?xml version="1\.0"\?>/);
    expect(xml).not.toContain('skipped');
    const { method, params } = await readCall(xml);
    expect(method).toBe('execute_kw');
    expect(params.slice(0, 6)).toEqual(['pilot', 2, 'k3y', 'res.partner', 'write', [[7]]]);
    const { vals } = params[6] as { vals: Record<string, unknown> };
    expect(vals).toMatchObject({ name: 'a < b & "c"', active: true, credit: 146.2, parent_id: null });
    expect(Buffer.from(vals.image as Buffer)).toEqual(Buffer.from([1, 2, 3]));
    expect((vals.when as Date).getTime()).toBe(when.getTime());
  });

  it('refuses numbers XML-RPC cannot carry', () => {
    expect(() => encodeMethodCall('m', [Number.NaN])).toThrow(TypeError);
    expect(() => encodeMethodCall('m', [{ deep: [Number.POSITIVE_INFINITY] }])).toThrow(TypeError);
  });
});

describe('XML-RPC decoding (the xmlrpc package)', () => {
  it("reads Python's methodResponse: nested arrays and structs, entities, empty strings", async () => {
    expect(await decodeMethodResponse(PYTHON_RESULT)).toEqual({
      kind: 'result',
      value: [{ id: 7, currency_id: [1, 'CAD'], amount: 146.2, active: true, note: 'a < b & "c"', empty: '' }],
    });
  });

  it('reads a fault', async () => {
    expect(await decodeMethodResponse(PYTHON_FAULT)).toEqual({
      kind: 'fault',
      faultCode: 2,
      faultString: 'You cannot create recursive Partner hierarchies.',
    });
  });

  it('refuses a document that is no methodResponse with a format error', async () => {
    await expect(decodeMethodResponse('<html>Bad Gateway</html>')).rejects.toBeInstanceOf(XmlRpcFormatError);
    await expect(decodeMethodResponse('<methodResponse><params>')).rejects.toBeInstanceOf(XmlRpcFormatError);
  });
});
