/**
 * Path attributes (RFC 4271 section 5 and the RFCs that add attributes) as a public codec unit.
 * The work is done in attribute-decode.ts (RFC 7606 error handling) and attribute-encode.ts;
 * a whole UPDATE goes through update.ts, which adds the checks that need the whole message.
 */
import type { Codec } from './codec.js';
import {
  decodeMpReach,
  decodeMpUnreach,
  decodePathAttributes,
  freezeAttributes,
  scanAttributeSection,
} from './attribute-decode.js';
import { attributeOverrunError } from './attribute-errors.js';
import { attributesEncodingLength, encodeAttributes } from './attribute-encode.js';
import { strongestAction } from './errors.js';
import type { BgpWireError } from './errors.js';
import type { CodecOptions, PathAttributes } from './types.js';

export { attributesEncodingLength, encodeAttributes } from './attribute-encode.js';
export { familyOfAfiSafi, isKnownAttribute } from './attribute-decode.js';

/**
 * A path attribute section on its own (no UPDATE around it), for tests, tools and captures.
 * Decoding is strict: the first of the strongest RFC 7606 problems is thrown rather than reported,
 * because without the NLRI there is nothing to withdraw. Missing mandatory attributes are not
 * checked here (that needs the NLRI). The result is frozen.
 */
export const pathAttributes: Codec<PathAttributes> = {
  encodingLength(value: PathAttributes, options: CodecOptions): number {
    return attributesEncodingLength(value, options);
  },
  encode(value: PathAttributes, buf: Uint8Array, offset: number, options: CodecOptions): number {
    return encodeAttributes(value, buf, offset, options);
  },
  decode(buf: Uint8Array, offset: number, length: number, options: CodecOptions): PathAttributes {
    const scan = scanAttributeSection(buf, offset, length);
    if (scan.overrun !== undefined) {
      throw attributeOverrunError(scan.overrun.why, 'treat-as-withdraw', buf.slice(scan.overrun.at, offset + length));
    }
    const problems: BgpWireError[] = [];
    const { attributes } = decodePathAttributes(buf, offset, scan.end, options, problems);
    if (scan.mpReach !== undefined) {
      const reach = decodeMpReach(buf, scan.mpReach, problems);
      if (reach !== undefined) attributes.mpReach = reach;
    }
    if (scan.mpUnreach !== undefined) {
      const unreach = decodeMpUnreach(buf, scan.mpUnreach, problems);
      if (unreach !== undefined) attributes.mpUnreach = unreach;
    }
    const strongest = strongestAction(problems.map((problem) => problem.action));
    const first = problems.find((problem) => problem.action === strongest);
    if (first !== undefined) throw first;
    return freezeAttributes(attributes);
  },
};
