// Types of the two modules of the `xmlrpc` package the XML-RPC client uses (its @types cover only
// the package's own client and server).
declare module 'xmlrpc/lib/serializer.js' {
  const Serializer: { serializeMethodCall(method: string, params: unknown[], encoding?: string): string };
  export default Serializer;
}

declare module 'xmlrpc/lib/deserializer.js' {
  export default class Deserializer {
    deserializeMethodResponse(
      stream: NodeJS.ReadableStream,
      callback: (error: (Error & { faultCode?: number | string; faultString?: string }) | null, value: unknown) => void,
    ): void;
  }
}
