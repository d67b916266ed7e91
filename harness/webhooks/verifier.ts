// The harness verifies webhooks with the generated client's verifier (client/runtime/webhooks.ts,
// as out/client ships it to the applications): one implementation for the apps and the tests.
export * from '../../out/client/src/runtime/webhooks.ts';
