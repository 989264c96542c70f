/**
 * Community text as MetalLB takes it (metallb/metallb internal/bgp/community/community.go and
 * BGPAdvertisement spec.communities): "64512:100" (RFC 1997), "large:4200000000:1:2" (RFC 8092),
 * or the name of an alias defined in a Community object. Aliases are looked up first, as MetalLB
 * does; then the value forms; then the well-known names bgp-core knows ("no-export", ...), which
 * MetalLB itself only knows through kubespray's "well-known" Community object.
 */
import { formatLargeCommunity, parseCommunity, parseLargeCommunity } from '@metallb-ts/bgp-core';

export type CommunityValue = { readonly kind: 'standard'; readonly value: number } | { readonly kind: 'large'; readonly value: string };

const LARGE_MARKER = 'large:';

/** A community value (not an alias): the parsed value or the reason. */
export function parseCommunityValue(text: string): CommunityValue | { error: string } {
  if (text.startsWith(LARGE_MARKER)) {
    try {
      return { kind: 'large', value: formatLargeCommunity(parseLargeCommunity(text.slice(LARGE_MARKER.length))) };
    } catch (error) {
      return { error: (error as Error).message };
    }
  }
  try {
    return { kind: 'standard', value: parseCommunity(text) };
  } catch (error) {
    return { error: `${(error as Error).message}, or large:global:local1:local2` };
  }
}

/** A value or an alias; aliases win, as in MetalLB's getCommunityValue. */
export function resolveCommunity(text: string, aliases: ReadonlyMap<string, CommunityValue>): CommunityValue | { error: string } {
  const alias = aliases.get(text);
  if (alias !== undefined) return alias;
  const parsed = parseCommunityValue(text);
  if ('error' in parsed) {
    return {
      error:
        `${JSON.stringify(text)} is neither a Community alias defined here nor a community value ` +
        '(ASN:value, large:global:local1:local2, or a well-known name such as no-export)',
    };
  }
  return parsed;
}
