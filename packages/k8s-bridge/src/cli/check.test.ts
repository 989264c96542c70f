import t from 'tap';
import { fixture } from '../config/test-helpers/fixtures.js';
import { check } from './check.js';

async function run(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await check(args, { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text) });
  return { code, stdout, stderr };
}

t.test('a valid file: the resolved model as JSON, passwords masked, exit 0', async (t) => {
  const result = await run(['--config', fixture('kubespray-bgp-password.yaml')]);
  t.equal(result.code, 0);
  const model = JSON.parse(result.stdout) as { peers: { password?: string; asn: number; myAsn: number }[]; pools: { name: string }[]; warnings: string[] };
  t.equal(model.peers[0]?.password, '********');
  t.match(model.peers[0], { asn: 64512, myAsn: 4200000000 });
  t.same(model.pools.map((p) => p.name), ['loadbalanced']);
  t.same(model.warnings, []);
  t.notOk(result.stdout.includes('changeme') || result.stderr.includes('changeme'), 'the password is printed nowhere');
  t.equal(result.stderr, '');
});

t.test('warnings are in the JSON and on stderr', async (t) => {
  const result = await run([`--config=${fixture('kubespray-layer2-no-strict-arp.yaml')}`]);
  t.equal(result.code, 0);
  const model = JSON.parse(result.stdout) as { warnings: string[] };
  t.equal(model.warnings.length, 1);
  t.match(result.stderr, /^warning: kube_proxy_strict_arp is not true while kube-proxy runs in IPVS mode/);
});

t.test('an invalid file: every problem as path: reason on stderr, nothing on stdout, exit 1', async (t) => {
  const result = await run(['--config', fixture('broken/unknown-references.yaml')]);
  t.equal(result.code, 1);
  t.equal(result.stdout, '');
  t.match(result.stderr, /invalid configuration in .*unknown-references\.yaml:/);
  t.match(result.stderr, /\n {2}documents\[2\]\(BGPAdvertisement\/ad\)\.spec\.ipAddressPools\[1\]: names pool "privat", which is not defined/);
  t.match(result.stderr, /\n {2}documents\[2\]\(BGPAdvertisement\/ad\)\.spec\.peers\[0\]: names BGP peer "tor-b"/);

  const secret = await run(['--config', fixture('broken/password-and-secret.yaml')]);
  t.equal(secret.code, 1);
  t.notOk(secret.stderr.includes('s3cret-inline'), 'a refused password is not echoed');
});

t.test('usage errors exit 2; a missing file exits 1', async (t) => {
  t.match(await run([]), { code: 2, stderr: /--config FILE is required\nusage: k8s-bridge check --config FILE/ });
  t.match(await run(['--config', 'x', '--bogus']), { code: 2, stderr: /Unknown option '--bogus'/ });
  t.match(await run(['--help']), { code: 0, stdout: /^usage: k8s-bridge check --config FILE/ });
  t.match(await run(['--config', fixture('does-not-exist.yaml')]), { code: 1, stderr: /cannot read the file \(ENOENT\)/ });
});
