import t from 'tap';

import { RouteRefreshSubtype } from './constants.js';
import { routeRefreshBody } from './route-refresh.js';
import { checkRoundTrip } from './test-helpers/round-trip.js';
import { expectWireError, frame } from './test-helpers/wire-error.js';
import type { CodecOptions, RouteRefreshMessage } from './types.js';

const PLAIN: CodecOptions = { fourOctetAs: true, extendedMessage: false };
const ENHANCED_RR: CodecOptions = { fourOctetAs: true, extendedMessage: false, enhancedRouteRefresh: true };
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

t.test('ROUTE-REFRESH round-trips for every RFC 7313 subtype', (t) => {
  const cases: readonly [RouteRefreshMessage, string][] = [
    [{ type: 'route-refresh', afi: 1, safi: 1, subtype: RouteRefreshSubtype.NORMAL }, '00010001'],
    [{ type: 'route-refresh', afi: 2, safi: 1, subtype: RouteRefreshSubtype.BEGINNING_OF_ROUTE_REFRESH }, '00020101'],
    [{ type: 'route-refresh', afi: 2, safi: 1, subtype: RouteRefreshSubtype.END_OF_ROUTE_REFRESH }, '00020201'],
    [{ type: 'route-refresh', afi: 25, safi: 70, subtype: 7 }, '00190746'], // unknown subtype: decoded as is
  ];
  for (const [message, wire] of cases) {
    t.equal(hex(checkRoundTrip(t, routeRefreshBody, message, PLAIN)), wire);
    checkRoundTrip(t, routeRefreshBody, message, ENHANCED_RR);
  }
  t.end();
});

t.test('a body of the wrong length is a header error, or RFC 7313 7/1 with enhanced route refresh', (t) => {
  for (const body of [[0, 1, 1], [0, 1, 2, 1, 0], []]) {
    const buf = Uint8Array.from([0xaa, ...body]);
    const total = 19 + body.length;
    expectWireError(
      t,
      () => routeRefreshBody.decode(buf, 1, body.length, PLAIN),
      { code: 'ERR_BGP_BAD_MESSAGE_LENGTH', error: 1, subcode: 2, data: [total >>> 8, total & 0xff] },
      `body of ${body.length} without enhanced route refresh`,
    );
    expectWireError(
      t,
      () => routeRefreshBody.decode(buf, 1, body.length, ENHANCED_RR),
      { code: 'ERR_BGP_ROUTE_REFRESH_INVALID_LENGTH', error: 7, subcode: 1, data: frame(5, body) },
      `body of ${body.length} with enhanced route refresh: the complete message as data`,
    );
  }
  t.end();
});

t.test('encode refuses fields out of range', (t) => {
  t.throws(() => routeRefreshBody.encode({ type: 'route-refresh', afi: 70000, safi: 1, subtype: 0 }, new Uint8Array(4), 0, PLAIN), RangeError);
  t.end();
});
