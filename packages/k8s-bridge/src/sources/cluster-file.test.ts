import t from 'tap';
import { stringify } from 'yaml';
import { ClusterFileError, parseClusterFile } from './cluster-file.js';

const objects = [
  { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-a', labels: { zone: 'a' } }, status: { addresses: [{ type: 'InternalIP', address: '192.0.2.101' }], conditions: [{ type: 'NetworkUnavailable', status: 'False' }] } },
  { apiVersion: 'v1', kind: 'Service', metadata: { namespace: 'default', name: 'web' }, spec: { type: 'LoadBalancer', ports: [{ port: 80, protocol: 'TCP' }] } },
  {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { namespace: 'default', name: 'web-1', labels: { 'kubernetes.io/service-name': 'web' } },
    endpoints: [{ nodeName: 'node-a', conditions: { ready: true } }, { nodeName: 'node-b', conditions: { ready: false } }],
  },
  { apiVersion: 'v1', kind: 'Secret', metadata: { namespace: 'metallb-system', name: 'peer' }, data: { password: Buffer.from('s3cret').toString('base64') } },
];

t.test('YAML documents and a JSON List give the same state', async (t) => {
  const fromYaml = parseClusterFile(objects.map((o) => stringify(o)).join('---\n'), 'cluster.yaml');
  const fromJson = parseClusterFile(JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }), 'cluster.json');
  for (const state of [fromYaml, fromJson]) {
    t.same(state.services.map((s) => `${s.namespace}/${s.name}`), ['default/web']);
    t.same([...(state.readyEndpointNodes.get('default/web') ?? [])], ['node-a'], 'only the ready endpoint counts');
    t.same(state.nodes.get('node-a'), { name: 'node-a', labels: { zone: 'a' }, networkUnavailable: false, internalIp: '192.0.2.101' });
    t.equal(state.secrets.get('metallb-system/peer')?.['password'], 's3cret');
  }
});

t.test('errors name the document and the field; nothing is half read', async (t) => {
  const bad = JSON.stringify({ kind: 'List', items: [objects[1], { kind: 'ConfigMap', metadata: { name: 'x' } }, { kind: 'EndpointSlice', metadata: { name: 'e' } }] });
  let error: unknown;
  try {
    parseClusterFile(bad, 'bad.json');
  } catch (caught) {
    error = caught;
  }
  t.ok(error instanceof ClusterFileError, 'a ClusterFileError');
  const problems = ((error as ClusterFileError).problems ?? []).map((p) => `${p.path}: ${p.reason}`).join('\n');
  t.match(problems, /document 1, items\[1\]: kind: "ConfigMap" is not one of Service, EndpointSlice, Node, Secret/);
  t.match(problems, /document 1, items\[2\]: metadata\.labels: needs kubernetes\.io\/service-name/);
  t.throws(() => parseClusterFile('{ kind: List, items: [', 'broken.yaml'), { name: 'ClusterFileError', message: /broken\.yaml/ }, 'not JSON, so YAML reports it');
});
