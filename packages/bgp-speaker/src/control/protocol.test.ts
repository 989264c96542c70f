/** The control protocol: every command in its canonical form, and every way a request is refused. */
import t from 'tap';
import type { Test } from 'tap';
import { ControlRequestError, MAX_SHUTDOWN_MESSAGE_OCTETS, parseControlRequest, validateControlRequest } from './protocol.js';

const parse = (value: unknown) => parseControlRequest(JSON.stringify(value));

/** Asserts the request is refused with a ControlRequestError whose message matches `pattern`. */
function refused(t: Test, value: unknown, pattern: RegExp, name?: string): string {
  try {
    parse(value);
  } catch (error) {
    t.ok(error instanceof ControlRequestError, `${name ?? pattern.source}: a ControlRequestError`);
    t.match((error as Error).message, pattern, name ?? pattern.source);
    t.equal((error as ControlRequestError).code, 'ERR_CONTROL_REQUEST');
    return (error as Error).message;
  }
  t.fail(`${name ?? pattern.source}: accepted ${JSON.stringify(value)}`);
  return '';
}

t.test('neighbors', async (t) => {
  t.same(parse({ command: 'neighbors' }), { command: 'neighbors' });
  refused(t, { command: 'neighbors', verbose: true }, /unknown field "verbose" \(known: command\)/);
});

t.test('routes: ours, received from a peer, advertised to a peer', async (t) => {
  t.same(parse({ command: 'routes' }), { command: 'routes' });
  t.same(parse({ command: 'routes', received: '192.0.2.1' }), { command: 'routes', received: '192.0.2.1' });
  t.same(parse({ command: 'routes', advertised: '2001:db8::1' }), { command: 'routes', advertised: '2001:db8::1' });
  refused(t, { command: 'routes', received: 'router-a' }, /"received" must be an IPv4 or IPv6 address, got "router-a"/);
  refused(t, { command: 'routes', received: 7 }, /"received" must be an IPv4 or IPv6 address, got number 7/);
  refused(t, { command: 'routes', advertised: '192.0.2.300' }, /"advertised" must be an IPv4 or IPv6 address/);
  refused(t, { command: 'routes', received: '192.0.2.1', advertised: '192.0.2.2' }, /"received" and "advertised" cannot be asked for together/);
  refused(t, { command: 'routes', recieved: '192.0.2.1' }, /unknown field "recieved" \(known: command, received, advertised\)/);
});

t.test('announce: the route in canonical form', async (t) => {
  t.same(parse({ command: 'announce', route: { prefix: '10.5.0.1/32' } }), { command: 'announce', route: { prefix: '10.5.0.1/32' } });
  t.same(parse({ command: 'announce', route: { prefix: '10.5.0.1' } }), { command: 'announce', route: { prefix: '10.5.0.1/32' } }, 'a bare address is a host route');
  t.same(parse({ command: 'announce', route: { prefix: '10.5.7.9/16' } }), { command: 'announce', route: { prefix: '10.5.0.0/16' } }, 'host bits cleared');
  t.same(
    parse({
      command: 'announce',
      route: {
        prefix: '2001:DB8:5:0:0:0:0:1/128',
        nextHop: '2001:db8::99',
        communities: ['64512:100', 'no-export'],
        largeCommunities: ['4200000000:1:2'],
        localPref: 200,
        med: 0,
      },
    }),
    {
      command: 'announce',
      route: {
        prefix: '2001:db8:5::1/128',
        nextHop: '2001:db8::99',
        communities: ['64512:100', 'no-export'],
        largeCommunities: ['4200000000:1:2'],
        localPref: 200,
        med: 0,
      },
    },
  );
  t.same(parse({ command: 'announce', route: { prefix: '10.5.0.1/32', nextHop: 'self', localPref: 0xffffffff } }), {
    command: 'announce',
    route: { prefix: '10.5.0.1/32', nextHop: 'self', localPref: 0xffffffff },
  });
});

t.test('announce: every refusal names the field', async (t) => {
  const route = (fields: Record<string, unknown>) => ({ command: 'announce', route: { prefix: '10.5.0.1/32', ...fields } });
  refused(t, { command: 'announce' }, /"route" must be a JSON object, got nothing/);
  refused(t, { command: 'announce', route: '10.5.0.1/32' }, /"route" must be a JSON object, got "10\.5\.0\.1\/32"/);
  refused(t, { command: 'announce', route: [] }, /"route" must be a JSON object, got a list/);
  refused(t, { command: 'announce', route: {}, extra: 1 }, /unknown field "extra" \(known: command, route\)/);
  refused(t, { command: 'announce', route: {} }, /"route\.prefix" must be a prefix such as 10\.5\.0\.1\/32, got nothing/);
  refused(t, { command: 'announce', route: { prefix: '' } }, /"route\.prefix" must be a prefix/);
  refused(t, { command: 'announce', route: { prefix: 'ten.five/8' } }, /"route\.prefix": /, 'not an address');
  refused(t, { command: 'announce', route: { prefix: '10.5.0.1/33' } }, /"route\.prefix": "10\.5\.0\.1\/33" has an invalid prefix length \(expected 0 to 32\)/);
  refused(t, { command: 'announce', route: { prefix: '2001:db8::/129' } }, /"route\.prefix": .*expected 0 to 128/);
  refused(t, route({ nexthop: '192.0.2.1' }), /unknown field "nexthop" in "route"/);
  refused(t, route({ nextHop: 'gateway' }), /"route\.nextHop" must be an IPv4 or IPv6 address, got "gateway"/);
  refused(t, route({ nextHop: '2001:db8::1' }), /"route\.nextHop" must be an IPv4 address for 10\.5\.0\.1\/32/);
  refused(t, { command: 'announce', route: { prefix: '2001:db8::1/128', nextHop: '192.0.2.1' } }, /"route\.nextHop" must be an IPv6 address for 2001:db8::1\/128/);
  refused(t, route({ communities: '64512:100' }), /"route\.communities" must be a list of strings, got "64512:100"/);
  refused(t, route({ communities: ['64512:100', 42] }), /"route\.communities\[1\]" must be a string, got number 42/);
  refused(t, route({ communities: ['64512:100', '70000:1'] }), /"route\.communities\[1\]": "70000:1" is not a community/);
  refused(t, route({ communities: ['no-exprot'] }), /"route\.communities\[0\]": "no-exprot" is not a community.*no-export/);
  refused(t, route({ largeCommunities: ['64512:100'] }), /"route\.largeCommunities\[0\]": "64512:100" is not a large community/);
  refused(t, route({ largeCommunities: ['1:2:4294967296'] }), /"route\.largeCommunities\[0\]": .*0-4294967295/);
  refused(t, route({ localPref: -1 }), /"route\.localPref" must be an integer from 0 to 4294967295, got number -1/);
  refused(t, route({ localPref: 1.5 }), /"route\.localPref" must be an integer/);
  refused(t, route({ localPref: '100' }), /"route\.localPref" must be an integer .* got "100"/);
  refused(t, route({ med: 2 ** 32 }), /"route\.med" must be an integer from 0 to 4294967295, got number 4294967296/);
});

t.test('withdraw', async (t) => {
  t.same(parse({ command: 'withdraw', prefix: '10.5.0.1/32' }), { command: 'withdraw', prefix: '10.5.0.1/32' });
  t.same(parse({ command: 'withdraw', prefix: '2001:db8:5:0::1' }), { command: 'withdraw', prefix: '2001:db8:5::1/128' });
  refused(t, { command: 'withdraw' }, /"prefix" must be a prefix such as 10\.5\.0\.1\/32, got nothing/);
  refused(t, { command: 'withdraw', prefix: ['10.5.0.1/32'] }, /"prefix" must be a prefix .* got a list/);
  refused(t, { command: 'withdraw', prefix: '10.5.0.1/40' }, /"prefix": .*invalid prefix length/);
  refused(t, { command: 'withdraw', prefix: '10.5.0.1/32', route: {} }, /unknown field "route" \(known: command, prefix\)/);
});

t.test('neighbor: reset, shutdown with and without a message, enable', async (t) => {
  t.same(parse({ command: 'neighbor', address: '192.0.2.1', action: 'reset' }), { command: 'neighbor', address: '192.0.2.1', action: 'reset' });
  t.same(parse({ command: 'neighbor', address: '192.0.2.1', action: 'shutdown' }), { command: 'neighbor', address: '192.0.2.1', action: 'shutdown' });
  t.same(parse({ command: 'neighbor', address: '2001:db8::1', action: 'shutdown', message: 'maintenance, back at 14:00' }), {
    command: 'neighbor',
    address: '2001:db8::1',
    action: 'shutdown',
    message: 'maintenance, back at 14:00',
  });
  t.same(parse({ command: 'neighbor', address: '192.0.2.1', action: 'enable' }), { command: 'neighbor', address: '192.0.2.1', action: 'enable' });
  const longest = 'é'.repeat(MAX_SHUTDOWN_MESSAGE_OCTETS >> 1) + 'x'; // 127 * 2 + 1 = 255 octets
  t.equal(Buffer.byteLength(longest), MAX_SHUTDOWN_MESSAGE_OCTETS);
  t.same(parse({ command: 'neighbor', address: '192.0.2.1', action: 'shutdown', message: longest }), {
    command: 'neighbor',
    address: '192.0.2.1',
    action: 'shutdown',
    message: longest,
  }, '255 octets of UTF-8 is the most RFC 9003 allows');
});

t.test('neighbor: refusals', async (t) => {
  refused(t, { command: 'neighbor', action: 'reset' }, /"address" must be an IPv4 or IPv6 address, got nothing/);
  refused(t, { command: 'neighbor', address: 'peer1', action: 'reset' }, /"address" must be an IPv4 or IPv6 address, got "peer1"/);
  refused(t, { command: 'neighbor', address: '192.0.2.1' }, /"action" must be one of reset, shutdown, enable$/);
  refused(t, { command: 'neighbor', address: '192.0.2.1', action: 'restart' }, /"action" must be one of reset, shutdown, enable, got "restart"/);
  refused(t, { command: 'neighbor', address: '192.0.2.1', action: 'reset', message: 'bye' }, /"message" is only sent with shutdown, not with reset/);
  refused(t, { command: 'neighbor', address: '192.0.2.1', action: 'enable', message: 'hi' }, /"message" is only sent with shutdown, not with enable/);
  refused(t, { command: 'neighbor', address: '192.0.2.1', action: 'shutdown', message: 5 }, /"message" must be a string, got number 5/);
  refused(t, { command: 'neighbor', address: '192.0.2.1', action: 'shutdown', message: 'é'.repeat(128) }, /"message" is 256 octets of UTF-8; RFC 9003 allows at most 255/);
  refused(t, { command: 'neighbor', address: '192.0.2.1', action: 'reset', force: true }, /unknown field "force" \(known: command, address, action, message\)/);
});

t.test('malformed requests', async (t) => {
  t.throws(() => parseControlRequest('{"command": "neighbors"'), new ControlRequestError('request is not valid JSON'));
  t.throws(() => parseControlRequest(''), { code: 'ERR_CONTROL_REQUEST', message: 'request is not valid JSON' });
  refused(t, null, /request must be a JSON object, got null/);
  refused(t, ['neighbors'], /request must be a JSON object, got a list/);
  refused(t, 'neighbors', /request must be a JSON object, got "neighbors"/);
  refused(t, {}, /"command" must be one of neighbors, routes, announce, withdraw, neighbor/);
  refused(t, { command: 3 }, /"command" must be one of/);
  refused(t, { command: 'shutdown' }, /unknown command "shutdown" \(known: neighbors, routes, announce, withdraw, neighbor\)/);
});

t.test('no secret is echoed back, and pasted blobs are cut short', async (t) => {
  const secret = 's3cret-md5-password';
  const unknownField = refused(t, { command: 'neighbor', address: '192.0.2.1', action: 'reset', password: secret }, /unknown field "password"/);
  t.notMatch(unknownField, secret, 'the value of an unknown field is not shown');
  const inRoute = refused(t, { command: 'announce', route: { prefix: '10.5.0.1/32', password: secret } }, /unknown field "password" in "route"/);
  t.notMatch(inRoute, secret);
  const long = refused(t, { command: 'x'.repeat(10_000) }, /unknown command "x+…"/);
  t.ok(long.length < 200, `the message stays short (${long.length} characters)`);
});

t.test('validateControlRequest takes objects (what the CLI checks before sending)', async (t) => {
  t.same(validateControlRequest({ command: 'withdraw', prefix: '10.5.0.9/24' }), { command: 'withdraw', prefix: '10.5.0.0/24' });
  t.throws(() => validateControlRequest({ command: 'withdraw', prefix: 'nope' }), { code: 'ERR_CONTROL_REQUEST', message: /"prefix": "nope" is not a valid IPv4 address/ });
});
