import t from 'tap';

import { notificationEvent } from './events.js';
import { ceaseNotification, holdTimerExpiredNotification, unexpectedMessageNotification } from './notifications.js';
import { notificationMessage } from './test-helpers/fixtures.js';

t.test('Cease with an RFC 9003 shutdown communication', (t) => {
  const cease = ceaseNotification(2, 'planned maintenance');
  t.equal(cease.code, 6);
  t.equal(cease.subcode, 2);
  t.equal(cease.data[0], 19, 'one length octet');
  t.equal(new TextDecoder().decode(cease.data.subarray(1)), 'planned maintenance');
  t.equal(cease.shutdownMessage, 'planned maintenance');
  t.same([...ceaseNotification(4, 'ünï').data], [5, ...new TextEncoder().encode('ünï')], 'length in octets, not characters');
  t.equal(ceaseNotification(2).data.length, 0, 'no message, no data');
  t.equal(ceaseNotification(2, '').data.length, 0);
  t.equal(ceaseNotification(7, 'ignored').data.length, 0, 'only shutdown and reset carry one');
  t.end();
});

t.test('a long communication is cut at 255 octets on a character boundary', (t) => {
  const ascii = ceaseNotification(2, 'x'.repeat(300));
  t.equal(ascii.data[0], 255);
  t.equal(ascii.data.length, 256);
  // 'é' is 2 octets: 128 of them are 256 octets, so one must go whole.
  const accented = ceaseNotification(2, 'é'.repeat(128));
  t.equal(accented.data[0], 254);
  t.equal(accented.shutdownMessage, 'é'.repeat(127));
  // '€' is 3 octets: 85 fit exactly in 255.
  t.equal(ceaseNotification(2, '€'.repeat(90)).shutdownMessage, '€'.repeat(85));
  t.end();
});

t.test('FSM and hold timer NOTIFICATIONs', (t) => {
  t.same(holdTimerExpiredNotification(), notificationMessage(4, 0));
  t.same(unexpectedMessageNotification('OpenSent'), notificationMessage(5, 1));
  t.same(unexpectedMessageNotification('OpenConfirm'), notificationMessage(5, 2));
  t.same(unexpectedMessageNotification('Established'), notificationMessage(5, 3));
  t.same(unexpectedMessageNotification('Connect'), notificationMessage(5, 0));
  t.end();
});

t.test('a received NOTIFICATION becomes NotifMsgVerErr only for Unsupported Version Number', (t) => {
  t.equal(notificationEvent(notificationMessage(2, 1)).type, 'NotifMsgVerErr');
  t.equal(notificationEvent(notificationMessage(2, 2)).type, 'NotifMsg');
  t.equal(notificationEvent(notificationMessage(6, 1)).type, 'NotifMsg');
  t.end();
});
