/**
 * Every UPDATE captured from FRR, GoBGP and BIRD (fixtures/captured, see its index.json) decodes
 * cleanly, survives our encoder, and End-of-RIB markers are recognised.
 */
import { readFileSync } from 'node:fs';
import t from 'tap';
import { HEADER_LENGTH, MessageType } from './constants.js';
import type { CodecOptions, UpdateMessage } from './types.js';
import { AttributeCache, decodeUpdateBody, endOfRibFamily, routeAttributes, updateBody } from './update.js';

const CAPTURED = new URL('../../../../fixtures/captured/', import.meta.url);

interface IndexEntry {
  readonly file: string;
  readonly sender: string;
  readonly type: string;
  readonly fourOctetAs: boolean;
  readonly description: string;
}

const index = JSON.parse(readFileSync(new URL('index.json', CAPTURED), 'utf8')) as { messages: IndexEntry[] };
const updates = index.messages.filter((entry) => entry.type === 'UPDATE');

function bytesOf(entry: IndexEntry): Uint8Array {
  return Uint8Array.from(Buffer.from(readFileSync(new URL(entry.file, CAPTURED), 'utf8').trim(), 'hex'));
}

function allPrefixes(update: UpdateMessage): string[] {
  return [...update.nlri, ...(update.attributes.mpReach?.nlri ?? []), ...update.withdrawn, ...(update.attributes.mpUnreach?.withdrawn ?? [])];
}

t.test('the captured fixtures hold UPDATEs from all three routers', async (t) => {
  t.ok(updates.length >= 20, `${updates.length} UPDATEs`);
  t.same([...new Set(updates.map((entry) => entry.sender))].sort(), ['bird', 'frr', 'gobgp']);
});

for (const entry of updates) {
  t.test(`${entry.file}: ${entry.description.slice(0, 80)}`, async (t) => {
    const bytes = bytesOf(entry);
    t.equal(bytes[18], MessageType.UPDATE);
    const options: CodecOptions = { fourOctetAs: entry.fourOctetAs, extendedMessage: false };
    const update = decodeUpdateBody(bytes, HEADER_LENGTH, bytes.length - HEADER_LENGTH, options, new AttributeCache());
    t.equal(update.problems, undefined, 'no RFC 7606 problems');

    // Every prefix the index names is in the message.
    const named = entry.description.match(/[0-9a-f:.]+\/\d+/g) ?? [];
    for (const prefix of named) t.ok(allPrefixes(update).includes(prefix), `carries ${prefix}`);

    if (/eor/.test(entry.file)) {
      t.equal(endOfRibFamily(update), /ipv6/.test(entry.file) ? 'ipv6' : 'ipv4', 'End-of-RIB recognised');
    } else {
      t.equal(endOfRibFamily(update), undefined, 'not an End-of-RIB');
    }

    // Our encoding of what we read reads back the same (the sender's attribute order may differ).
    const again = new Uint8Array(updateBody.encodingLength(update, options));
    updateBody.encode(update, again, 0, options);
    const reread = decodeUpdateBody(again, 0, again.length, options);
    t.same(reread, update, 're-encoded and decoded again');
    t.same(routeAttributes(reread.attributes), routeAttributes(update.attributes));
  });
}
