import t from 'tap';
import { ServiceFileError } from './errors.js';
import { parseServices } from './service-file.js';

const LIST = `
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Service
    metadata:
      name: web
      namespace: shop
      labels: { app: web }
      annotations:
        metallb.io/allow-shared-ip: "front"
      creationTimestamp: "2024-05-01T12:00:00Z"
    spec:
      type: LoadBalancer
      ipFamilyPolicy: RequireDualStack
      ipFamilies: [IPv6, IPv4]
      clusterIP: 10.96.0.10
      ports:
        - { name: http, port: 80, targetPort: 8080 }
        - { port: 53, protocol: UDP }
      externalTrafficPolicy: Local
      selector: { app: web }
    status:
      loadBalancer:
        ingress:
          - ip: 10.0.0.1
          - hostname: lb.example.com
`;

t.test('a List (kubectl get svc -o yaml) and separate documents', async (t) => {
  const services = parseServices(LIST + '\n---\nkind: Service\nmetadata: { name: plain }\nspec: { type: LoadBalancer }\n---\n');
  t.equal(services.length, 2);
  t.same(services[0], {
    namespace: 'shop',
    name: 'web',
    labels: { app: 'web' },
    annotations: { 'metallb.io/allow-shared-ip': 'front' },
    creationTimestamp: '2024-05-01T12:00:00Z',
    spec: {
      type: 'LoadBalancer',
      ipFamilyPolicy: 'RequireDualStack',
      ipFamilies: ['IPv6', 'IPv4'],
      clusterIPs: ['10.96.0.10'],
      ports: [
        { port: 80, protocol: 'TCP', name: 'http' },
        { port: 53, protocol: 'UDP' },
      ],
      externalTrafficPolicy: 'Local',
      selector: { app: 'web' },
    },
    status: { loadBalancer: { ingress: [{ ip: '10.0.0.1' }, { hostname: 'lb.example.com' }] } },
  });
  t.same(services[1], { namespace: 'default', name: 'plain', spec: { type: 'LoadBalancer' } }, 'namespace defaults to default');
  t.same(parseServices(''), [], 'an empty file is no Services');
  t.equal(parseServices('{"kind":"Service","metadata":{"name":"j"}}')[0]?.name, 'j', 'JSON is YAML');
});

t.test('every problem is reported with document, item and field', async (t) => {
  const text = `
kind: List
items:
  - kind: Service
    metadata: { name: a }
    spec:
      ports: [{ port: 70000 }, { port: 80, protocol: HTTP }]
      ipFamilyPolicy: DualStack
      externalTrafficPolicy: Global
  - kind: Deployment
    metadata: { name: b }
  - kind: Service
    metadata:
      name: c
      annotations: { metallb.io/allow-shared-ip: true }
      creationTimestamp: yesterday
    spec: { ipFamilies: [IPv4, IPv4] }
---
kind: Service
metadata: { name: a }
---
kind: Service
metadata: { namespace: x }
---
- just a list
`;
  const error = t.throws(() => parseServices(text, 'svc.yaml')) as ServiceFileError;
  t.type(error, ServiceFileError);
  t.equal(error.code, 'ERR_SERVICE_FILE_INVALID');
  t.match(error.message, /^invalid Services file svc\.yaml:/);
  t.same(
    error.problems.map((p) => p.path),
    [
      'document 1, items[0] (default/a): spec.ipFamilyPolicy',
      'document 1, items[0] (default/a): spec.ports[0].port',
      'document 1, items[0] (default/a): spec.ports[1].protocol',
      'document 1, items[0] (default/a): spec.externalTrafficPolicy',
      'document 1, items[1]: kind',
      'document 1, items[2] (default/c): metadata.annotations.metallb.io/allow-shared-ip',
      'document 1, items[2] (default/c): metadata.creationTimestamp',
      'document 1, items[2] (default/c): spec.ipFamilies',
      'document 2',
      'document 3: metadata.name',
      'document 4',
    ],
  );
  t.match(error.message, /port: must be an integer 1-65535 \(got 70000\)/);
  t.match(error.message, /allow-shared-ip: must be a string \(got true; quote it in YAML\)/);
  t.match(error.message, /document 2: Service default\/a is defined twice \(first in document 1, items\[0\]\)/);
});

t.test('YAML syntax errors carry their position', async (t) => {
  const error = t.throws(() => parseServices('kind: Service\nmetadata: { name: a\n')) as ServiceFileError;
  t.type(error, ServiceFileError);
  t.match(error.problems[0], { path: 'document 1', reason: /line \d+, column \d+/ });
});
