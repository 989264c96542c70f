/**
 * deploy/: the manifests, the kubespray Component, the Dockerfile, and docs/kubespray.md, checked
 * without a cluster or a Docker engine (neither exists on the test machines):
 *
 * - every YAML file parses the same as YAML 1.1 (kubectl, kustomize) and 1.2, and every object's
 *   field names and value types are those of the Kubernetes API (the models of
 *   @kubernetes/client-node, which are generated from the API's OpenAPI document);
 * - the CRDs serve every MetalLB kind and version k8s-bridge reads, and MetalLB objects (the
 *   fixtures, the doc's example) pass through their schemas as an API server would pass them
 *   (pruning, defaulting, validation) with the same resolved configuration as before;
 * - RBAC allows each binary the API calls its code makes, and nothing the brief rules out;
 * - the workloads' privileges, node name and metrics port; the Component's patches against the
 *   base; the Dockerfile's paths against the repository; the doc's commands against the manifests.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isProblems, resolveDocuments } from '@metallb-ts/k8s-bridge';
import type { BridgeConfig } from '@metallb-ts/k8s-bridge';
import t from 'tap';
import type { Test } from 'tap';
import { METALLB_GROUP, METALLB_RESOURCES } from '../packages/k8s-bridge/src/kube/informers.js';
import { SERVICE_L2_STATUS } from '../packages/k8s-bridge/src/speaker-mode/l2-statuses.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DEPLOY = join(REPO, 'deploy');
const NAMESPACE = 'metallb-system';

// ---- loading -----------------------------------------------------------------------------------

type Dict = Record<string, unknown>;

interface YamlDocument {
  readonly errors: readonly { readonly message: string }[];
  toJS(): unknown;
}
interface YamlModule {
  parseAllDocuments(text: string, options?: { version?: '1.1' | '1.2'; uniqueKeys?: boolean }): readonly YamlDocument[];
}
interface AttributeType {
  readonly baseName: string;
  readonly type: string;
}
interface ModelClass {
  getAttributeTypeMap(): readonly AttributeType[];
}

// Neither package is a dependency of test/: load them the way k8s-bridge itself resolves them.
const fromBridge = createRequire(join(REPO, 'packages/k8s-bridge/package.json'));
const YAML = fromBridge('yaml') as YamlModule;
const models = (await import(pathToFileURL(fromBridge.resolve('@kubernetes/client-node')).href)) as Dict;

function isDict(value: unknown): value is Dict {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function dict(value: unknown, what: string): Dict {
  if (!isDict(value)) throw new Error(`${what} is not a mapping`);
  return value;
}

function list(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw new Error(`${what} is not a list`);
  return value;
}

/** value.a.b[0].c with "a.b.0.c"; undefined when any step is missing. */
function at(value: unknown, path: string): unknown {
  let current = value;
  for (const step of path.split('.')) {
    if (Array.isArray(current)) current = current[Number(step)];
    else if (isDict(current)) current = current[step];
    else return undefined;
  }
  return current;
}

function parseYaml(text: string, source: string, version: '1.1' | '1.2' = '1.2'): unknown[] {
  const documents = YAML.parseAllDocuments(text, { version, uniqueKeys: true });
  for (const document of documents) {
    if (document.errors.length > 0) throw new Error(`${source}: ${document.errors.map((e) => e.message).join('; ')}`);
  }
  return documents.map((document) => document.toJS()).filter((value) => value !== null && value !== undefined);
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir)
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return yamlFiles(path);
      return name.endsWith('.yaml') || name.endsWith('.yml') ? [path] : [];
    })
    .sort();
}

const isKustomizeFile = (path: string): boolean => basename(path) === 'kustomization.yaml';

const files = yamlFiles(DEPLOY);
const objects: { file: string; object: Dict }[] = files
  .filter((file) => !isKustomizeFile(file))
  .flatMap((file) => parseYaml(readFileSync(file, 'utf8'), file).map((object) => ({ file, object: dict(object, file) })));

function find(kind: string, name: string): Dict {
  const found = objects.filter(({ object }) => object['kind'] === kind && at(object, 'metadata.name') === name);
  if (found.length !== 1) throw new Error(`expected one ${kind} ${name} in deploy/, found ${found.length}`);
  return (found[0] as { object: Dict }).object;
}

const ofKind = (kind: string): Dict[] => objects.filter(({ object }) => object['kind'] === kind).map(({ object }) => object);

// ---- every file, every object ------------------------------------------------------------------

t.test('every YAML file in deploy/ parses, and reads the same as YAML 1.1 (kubectl) and 1.2', async (t) => {
  t.ok(files.length >= 10, `found ${files.length} files`);
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    // 1.1 reads `yes` as true and 0440 as octal: such values would differ between tools.
    t.same(parseYaml(text, file, '1.1'), parseYaml(text, file, '1.2'), relative(REPO, file));
  }
});

t.test('every object has apiVersion, kind and metadata.name; namespaced ones are in metallb-system', async (t) => {
  const clusterScoped = ['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition'];
  for (const { file, object } of objects) {
    const where = `${relative(REPO, file)}: ${String(object['kind'])}/${String(at(object, 'metadata.name'))}`;
    t.type(object['apiVersion'], 'string', `${where} apiVersion`);
    t.type(object['kind'], 'string', `${where} kind`);
    t.match(at(object, 'metadata.name'), /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, `${where} metadata.name`);
    if (clusterScoped.includes(String(object['kind']))) t.equal(at(object, 'metadata.namespace'), undefined, `${where} is cluster-scoped`);
    else t.equal(at(object, 'metadata.namespace'), NAMESPACE, `${where} namespace`);
  }
});

/**
 * Unknown field names and wrong value types against the client's model of each kind: a typo such
 * as `hostNetWork` is dropped silently by kubectl apply, so nothing else would notice it here.
 */
function modelProblems(value: unknown, type: string, path: string, problems: string[]): void {
  const arrayOf = /^Array<(.+)>$/.exec(type);
  const mapOf = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (type === 'any' || type === 'object') return;
  if (type === 'string' || type === 'Date') {
    if (typeof value !== 'string') problems.push(`${path}: expected a string, got ${JSON.stringify(value)}`);
  } else if (type === 'number') {
    if (typeof value !== 'number') problems.push(`${path}: expected a number, got ${JSON.stringify(value)}`);
  } else if (type === 'boolean') {
    if (typeof value !== 'boolean') problems.push(`${path}: expected a boolean, got ${JSON.stringify(value)}`);
  } else if (type === 'IntOrString') {
    if (typeof value !== 'string' && typeof value !== 'number') problems.push(`${path}: expected an int or string`);
  } else if (arrayOf !== null) {
    if (!Array.isArray(value)) problems.push(`${path}: expected a list`);
    else value.forEach((item, i) => modelProblems(item, arrayOf[1] as string, `${path}[${i}]`, problems));
  } else if (mapOf !== null) {
    if (!isDict(value)) problems.push(`${path}: expected a mapping`);
    else for (const [key, item] of Object.entries(value)) modelProblems(item, mapOf[1] as string, `${path}.${key}`, problems);
  } else {
    const model = models[type] as ModelClass | undefined;
    if (model === undefined || typeof model.getAttributeTypeMap !== 'function') throw new Error(`no client model ${type} (at ${path})`);
    if (!isDict(value)) {
      problems.push(`${path}: expected a mapping (${type})`);
      return;
    }
    const attributes = new Map(model.getAttributeTypeMap().map((a) => [a.baseName, a.type]));
    for (const [key, item] of Object.entries(value)) {
      let itemType = attributes.get(key);
      if (itemType === undefined) {
        problems.push(`${path}.${key}: not a field of ${type}`);
        continue;
      }
      // The client types these JSON Schema keywords as `any`; in a CRD they hold schemas.
      if (type === 'V1JSONSchemaProps' && (key === 'items' || key === 'additionalProperties') && isDict(item)) itemType = 'V1JSONSchemaProps';
      modelProblems(item, itemType, `${path}.${key}`, problems);
    }
  }
}

t.test('field names and value types are those of the Kubernetes API (client-node models)', async (t) => {
  for (const { file, object } of objects) {
    const type = `V1${String(object['kind'])}`;
    const problems: string[] = [];
    modelProblems(object, type, `${basename(file)}:${String(object['kind'])}/${String(at(object, 'metadata.name'))}`, problems);
    t.same(problems, [], `${relative(REPO, file)} ${type}`);
  }
  // The checker itself: a misspelt field and a number where a string belongs are found.
  const problems: string[] = [];
  modelProblems({ spec: { template: { spec: { hostNetWork: true, containers: [{ name: 1 }] } } } }, 'V1DaemonSet', 'x', problems);
  t.same(problems, ['x.spec.template.spec.hostNetWork: not a field of V1PodSpec', 'x.spec.template.spec.containers[0].name: expected a string, got 1']);
});

t.test('kustomization.yaml lists every manifest, and only existing ones', async (t) => {
  const kustomization = dict(parseYaml(readFileSync(join(DEPLOY, 'kustomization.yaml'), 'utf8'), 'kustomization.yaml')[0], 'kustomization');
  t.equal(kustomization['kind'], 'Kustomization');
  const resources = list(kustomization['resources'], 'resources').map(String);
  const manifests = files.filter((file) => !isKustomizeFile(file) && !file.startsWith(join(DEPLOY, 'kubespray'))).map((file) => relative(DEPLOY, file));
  t.same([...resources].sort(), [...manifests].sort(), 'resources are exactly the manifests (the Component is not one)');
  const images = list(kustomization['images'], 'images').map((image) => String(at(image, 'name')));
  for (const workload of [find('Deployment', 'k8s-bridge-controller'), find('DaemonSet', 'k8s-bridge-speaker')]) {
    const image = String(at(workload, 'spec.template.spec.containers.0.image'));
    t.ok(images.includes(image.split(':')[0] as string), `kustomize's images entry rewrites ${image}`);
  }
  t.match(readFileSync(join(DEPLOY, 'kustomization.yaml'), 'utf8'), /^# components:\n#   - kubespray$/m, 'the kubespray Component is one uncommenting away');
});

// ---- CRDs --------------------------------------------------------------------------------------

interface Schema {
  readonly type?: string;
  readonly properties?: Readonly<Record<string, Schema>>;
  readonly items?: Schema;
  readonly additionalProperties?: Schema | boolean;
  readonly required?: readonly string[];
  readonly default?: unknown;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly 'x-kubernetes-preserve-unknown-fields'?: boolean;
}

const crds = ofKind('CustomResourceDefinition');

function crdFor(kind: string): Dict | undefined {
  return crds.find((crd) => at(crd, 'spec.group') === METALLB_GROUP && at(crd, 'spec.names.kind') === kind);
}

function versionSchema(kind: string, version: string): Schema | undefined {
  const versions = list(at(crdFor(kind), 'spec.versions') ?? [], 'versions');
  const entry = versions.find((v) => at(v, 'name') === version && at(v, 'served') === true);
  return at(entry, 'schema.openAPIV3Schema') as Schema | undefined;
}

function valueMatchesType(value: unknown, type: string | undefined): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number';
    case 'boolean':
      return typeof value === 'boolean';
    case 'array':
      return Array.isArray(value);
    case 'object':
      return isDict(value);
    default:
      return true;
  }
}

interface Admission {
  readonly value: unknown;
  readonly pruned: string[];
  readonly invalid: string[];
}

/**
 * What an API server does to an object written through a structural schema: drop fields the
 * schema does not know unless x-kubernetes-preserve-unknown-fields keeps them (which does not
 * reach into nested schemas with their own properties), fill in defaults, and validate types,
 * bounds and required fields. metadata is the API server's own, never pruned by the CRD.
 */
function admit(object: Dict, schema: Schema): Admission {
  const pruned: string[] = [];
  const invalid: string[] = [];
  const walk = (value: unknown, node: Schema, path: string): unknown => {
    if (!valueMatchesType(value, node.type)) {
      invalid.push(`${path}: expected ${node.type ?? '?'}, got ${JSON.stringify(value)}`);
      return value;
    }
    if (typeof value === 'number') {
      if (node.minimum !== undefined && value < node.minimum) invalid.push(`${path}: below ${node.minimum}`);
      if (node.maximum !== undefined && value > node.maximum) invalid.push(`${path}: above ${node.maximum}`);
    }
    if (Array.isArray(value)) return node.items === undefined ? value : value.map((item, i) => walk(item, node.items as Schema, `${path}[${i}]`));
    if (!isDict(value)) return value;
    const out: Dict = {};
    for (const [key, item] of Object.entries(value)) {
      const known = node.properties?.[key];
      const additional = typeof node.additionalProperties === 'object' ? node.additionalProperties : undefined;
      if (path === '' && key === 'metadata') out[key] = item;
      else if (known !== undefined) out[key] = walk(item, known, `${path}.${key}`);
      else if (additional !== undefined) out[key] = walk(item, additional, `${path}.${key}`);
      else if (node['x-kubernetes-preserve-unknown-fields'] === true || node.additionalProperties === true) out[key] = item;
      else pruned.push(`${path}.${key}`);
    }
    for (const [key, property] of Object.entries(node.properties ?? {})) {
      if (out[key] === undefined && property.default !== undefined) out[key] = structuredClone(property.default);
    }
    for (const key of node.required ?? []) if (out[key] === undefined) invalid.push(`${path}.${key}: required`);
    return out;
  };
  return { value: walk(object, schema, ''), pruned, invalid };
}

/** MetalLB objects as an API server serving deploy/crds would store them. */
function admitAll(documents: readonly unknown[]): { documents: unknown[]; pruned: string[]; invalid: string[] } {
  const pruned: string[] = [];
  const invalid: string[] = [];
  const admitted = documents.map((document) => {
    const object = dict(document, 'document');
    const [, version] = String(object['apiVersion']).split('/');
    const schema = versionSchema(String(object['kind']), version ?? '');
    if (schema === undefined) {
      invalid.push(`${String(object['apiVersion'])} ${String(object['kind'])} is not served`);
      return object;
    }
    const result = admit(object, schema);
    pruned.push(...result.pruned);
    invalid.push(...result.invalid);
    return result.value;
  });
  return { documents: admitted, pruned, invalid };
}

t.test('the CRDs serve every MetalLB kind and version k8s-bridge reads, as its informers read them', async (t) => {
  for (const [plural, { kind, version }] of Object.entries(METALLB_RESOURCES)) {
    const crd = crdFor(kind);
    if (crd === undefined) {
      t.fail(`no CRD for ${kind}`);
      continue;
    }
    t.equal(at(crd, 'metadata.name'), `${plural}.${METALLB_GROUP}`, `${kind}: named plural.group`);
    t.equal(at(crd, 'spec.names.plural'), plural, `${kind}: the informer's plural`);
    t.equal(at(crd, 'spec.scope'), 'Namespaced', `${kind}: namespaced (MetalLB reads its own namespace)`);
    t.ok(versionSchema(kind, version), `${kind}: ${version} served (the informer's version)`);
    const versions = list(at(crd, 'spec.versions'), 'versions');
    t.equal(versions.filter((v) => at(v, 'storage') === true).length, 1, `${kind}: exactly one storage version`);
    if (versions.length > 1) t.equal(at(crd, 'spec.conversion.strategy'), 'None', `${kind}: no conversion webhook to run`);
  }
  t.ok(versionSchema('BGPPeer', 'v1beta1') && versionSchema('BGPPeer', 'v1beta2'), 'BGPPeer: v1beta1 and v1beta2 served');
  // ServiceL2Status: written by the speakers (l2-statuses.ts), at the version and plural they use.
  const l2Status = crds.find((crd) => at(crd, 'spec.names.kind') === SERVICE_L2_STATUS.kind);
  t.equal(at(l2Status, 'metadata.name'), `${SERVICE_L2_STATUS.plural}.${METALLB_GROUP}`, 'ServiceL2Status: named plural.group');
  const l2Version = list(at(l2Status, 'spec.versions'), 'versions').find((v) => at(v, 'name') === SERVICE_L2_STATUS.version);
  t.same(at(l2Version, 'subresources.status'), {}, 'ServiceL2Status: a status subresource (the speakers patch /status)');
  t.same(Object.keys(dict(at(l2Version, 'schema.openAPIV3Schema.properties.status.properties'), 'status')).sort(), ['interfaces', 'node', 'serviceName', 'serviceNamespace'], 'ServiceL2Status: MetalLB\'s status fields');
  t.same(crds.length, Object.keys(METALLB_RESOURCES).length + 1, 'no CRD beyond those');
});

t.test('the CRD schemas are structural: a type on every node, defaults of that type, bounds in order', async (t) => {
  const problems: string[] = [];
  const check = (node: Schema, path: string): void => {
    if (node.type === undefined && node['x-kubernetes-preserve-unknown-fields'] !== true) problems.push(`${path}: no type`);
    if (node.default !== undefined && !valueMatchesType(node.default, node.type)) problems.push(`${path}: default is not a ${node.type ?? '?'}`);
    if (node.minimum !== undefined && node.maximum !== undefined && node.minimum > node.maximum) problems.push(`${path}: minimum above maximum`);
    for (const key of node.required ?? []) if (node.properties?.[key] === undefined) problems.push(`${path}: required ${key} is not a property`);
    for (const [key, child] of Object.entries(node.properties ?? {})) check(child, `${path}.${key}`);
    if (node.items !== undefined) check(node.items, `${path}[]`);
    if (typeof node.additionalProperties === 'object') check(node.additionalProperties, `${path}{}`);
  };
  for (const crd of crds) {
    for (const version of list(at(crd, 'spec.versions'), 'versions')) {
      const schema = at(version, 'schema.openAPIV3Schema') as Schema;
      check(schema, `${String(at(crd, 'metadata.name'))}/${String(at(version, 'name'))}`);
      t.equal(at(schema, 'properties.spec.x-kubernetes-preserve-unknown-fields'), true, `${String(at(crd, 'metadata.name'))}: spec keeps fields it does not list`);
    }
  }
  t.same(problems, []);
});

const fixtureDir = join(REPO, 'fixtures/k8s-bridge');
const crdFixtures = readdirSync(fixtureDir)
  .filter((name) => name.startsWith('crds-') && name.endsWith('.yaml'))
  .map((name) => join(fixtureDir, name));

t.test('MetalLB objects survive the CRDs: nothing k8s-bridge reads is pruned, defaults agree with its own', async (t) => {
  t.ok(crdFixtures.length >= 3, 'the CRD fixtures are there');
  for (const file of crdFixtures) {
    const documents = parseYaml(readFileSync(file, 'utf8'), file);
    const admitted = admitAll(documents);
    t.same(admitted.invalid, [], `${basename(file)}: accepted by the schemas`);
    t.same(admitted.pruned, [], `${basename(file)}: no field pruned`);
    // Valid fixtures resolve to the same model; the BFD one to the same problems (bfdProfile kept).
    t.same(resolveDocuments(admitted.documents), resolveDocuments(documents), `${basename(file)}: k8s-bridge reads the same configuration`);
  }
  // The pruning is real: a field a typed nested object does not list is dropped, as an API server would.
  const typo = admitAll([{ apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'p' }, spec: { addresses: ['10.0.0.0/24'], serviceAllocation: { namespacez: ['a'] } } }]);
  t.same(typo.pruned, ['.spec.serviceAllocation.namespacez']);
  const unknownTop = admitAll([{ apiVersion: 'metallb.io/v1beta2', kind: 'BGPPeer', metadata: { name: 'p' }, spec: { myASN: 1, peerASN: 2, peerAddress: '192.0.2.1', vrf: 'red' } }]);
  t.same(unknownTop.pruned, [], 'an unsupported BGPPeer field (vrf) reaches k8s-bridge, which refuses it by name');
  const refused = resolveDocuments(unknownTop.documents);
  t.ok(isProblems(refused) && refused.some((problem) => problem.path.endsWith('spec.vrf')), 'and k8s-bridge names it');
});

t.test("broken MetalLB objects: either the schema refuses them, or k8s-bridge's own problems are unchanged", async (t) => {
  const brokenDir = join(fixtureDir, 'broken');
  let compared = 0;
  for (const name of readdirSync(brokenDir).filter((n) => n.endsWith('.yaml'))) {
    let documents: unknown[];
    try {
      documents = parseYaml(readFileSync(join(brokenDir, name), 'utf8'), name);
    } catch {
      continue; // the YAML-syntax fixture
    }
    if (!documents.every((d) => String(at(d, 'apiVersion')).startsWith(`${METALLB_GROUP}/`))) continue;
    const admitted = admitAll(documents);
    t.same(admitted.pruned, [], `${name}: nothing pruned`);
    if (admitted.invalid.length > 0) continue;
    compared++;
    const before = resolveDocuments(documents);
    t.ok(isProblems(before), `${name} is refused by k8s-bridge`);
    t.same(resolveDocuments(admitted.documents), before, `${name}: the same problems after admission`);
  }
  t.ok(compared >= 5, `${compared} broken CRD fixtures compared`);
});

// ---- RBAC --------------------------------------------------------------------------------------

interface Rule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly verbs: readonly string[];
  readonly resourceNames?: readonly string[];
}
interface Grant {
  readonly rule: Rule;
  /** undefined: every namespace (a ClusterRole bound cluster-wide). */
  readonly namespace: string | undefined;
  readonly role: string;
}

function grantsOf(serviceAccount: string): Grant[] {
  const grants: Grant[] = [];
  for (const bindingKind of ['ClusterRoleBinding', 'RoleBinding']) {
    for (const binding of ofKind(bindingKind)) {
      const subjects = list(binding['subjects'], 'subjects');
      if (!subjects.some((s) => at(s, 'kind') === 'ServiceAccount' && at(s, 'name') === serviceAccount && at(s, 'namespace') === NAMESPACE)) continue;
      const roleKind = String(at(binding, 'roleRef.kind'));
      const roleName = String(at(binding, 'roleRef.name'));
      const role = roleKind === 'ClusterRole' ? find('ClusterRole', roleName) : find('Role', roleName);
      const namespace = bindingKind === 'RoleBinding' ? String(at(binding, 'metadata.namespace')) : undefined;
      if (roleKind === 'Role' && at(role, 'metadata.namespace') !== namespace) throw new Error(`${roleName}: a Role bound outside its namespace`);
      for (const rule of list(role['rules'], 'rules')) grants.push({ rule: rule as Rule, namespace, role: `${roleKind}/${roleName}` });
    }
  }
  return grants;
}

/** Whether `serviceAccount` may `verb` the `resource` (e.g. "services/status") of `group` in `namespace` (undefined: cluster-wide). */
function can(serviceAccount: string, verb: string, group: string, resource: string, namespace: string | undefined): boolean {
  return grantsOf(serviceAccount).some(
    ({ rule, namespace: scope }) =>
      (scope === undefined || scope === namespace) &&
      (rule.apiGroups.includes(group) || rule.apiGroups.includes('*')) &&
      (rule.resources.includes(resource) || rule.resources.includes('*')) &&
      (rule.verbs.includes(verb) || rule.verbs.includes('*')) &&
      rule.resourceNames === undefined,
  );
}

const CONTROLLER = 'k8s-bridge-controller';
const SPEAKER = 'k8s-bridge-speaker';
const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'update', 'patch', 'delete', 'deletecollection'];
const METALLB_PLURALS = Object.keys(METALLB_RESOURCES);

t.test('RBAC: no wildcard; each binding names an existing role and ServiceAccount', async (t) => {
  for (const role of [...ofKind('ClusterRole'), ...ofKind('Role')]) {
    for (const rule of list(role['rules'], 'rules') as Rule[]) {
      for (const field of [rule.apiGroups, rule.resources, rule.verbs]) t.notOk(field.includes('*'), `${String(at(role, 'metadata.name'))}: no "*"`);
    }
  }
  const accounts = ofKind('ServiceAccount').map((sa) => at(sa, 'metadata.name'));
  t.same([...accounts].sort(), [CONTROLLER, SPEAKER]);
  t.ok(grantsOf(CONTROLLER).length > 0 && grantsOf(SPEAKER).length > 0, 'both are bound');
  t.equal(at(find('Deployment', CONTROLLER), 'spec.template.spec.serviceAccountName'), CONTROLLER);
  t.equal(at(find('DaemonSet', SPEAKER), 'spec.template.spec.serviceAccountName'), SPEAKER);
});

t.test("RBAC: the controller may make every call of k8s-bridge's kube layer, and no other write", async (t) => {
  for (const verb of READ) {
    t.ok(can(CONTROLLER, verb, '', 'services', 'web'), `${verb} services, any namespace`);
    t.ok(can(CONTROLLER, verb, '', 'namespaces', undefined), `${verb} namespaces (namespaceSelectors)`);
    for (const plural of METALLB_PLURALS) t.ok(can(CONTROLLER, verb, METALLB_GROUP, plural, NAMESPACE), `${verb} ${plural} in ${NAMESPACE}`);
  }
  t.ok(can(CONTROLLER, 'patch', '', 'services', 'web'), 'patch services (the pool annotation, kube/status.ts)');
  t.ok(can(CONTROLLER, 'patch', '', 'services/status', 'web'), 'patch services/status (the ingress IPs)');
  t.ok(can(CONTROLLER, 'create', '', 'events', 'web'), "create Events in the Service's namespace");
  for (const verb of ['get', 'create', 'update']) t.ok(can(CONTROLLER, verb, 'coordination.k8s.io', 'leases', NAMESPACE), `${verb} its Lease`);

  t.notOk(can(CONTROLLER, 'get', 'coordination.k8s.io', 'leases', 'kube-system'), 'no Lease outside its namespace');
  t.notOk(can(CONTROLLER, 'list', METALLB_GROUP, 'ipaddresspools', 'default'), 'no MetalLB objects outside its namespace');
  for (const verb of [...READ, ...WRITE]) t.notOk(can(CONTROLLER, verb, '', 'secrets', NAMESPACE), `no ${verb} on secrets`);
  const writes = grantsOf(CONTROLLER).flatMap(({ rule }) => rule.verbs.filter((v) => WRITE.includes(v)).flatMap((v) => rule.resources.map((r) => `${v} ${r}`)));
  t.same([...new Set(writes)].sort(), ['create events', 'create leases', 'patch services', 'patch services/status', 'update leases']);
});

t.test('RBAC: the speaker reads, creates Events, and sees Secrets of its own namespace only', async (t) => {
  for (const verb of READ) {
    t.ok(can(SPEAKER, verb, '', 'services', 'web'), `${verb} services`);
    t.ok(can(SPEAKER, verb, 'discovery.k8s.io', 'endpointslices', 'web'), `${verb} endpointslices`);
    t.ok(can(SPEAKER, verb, '', 'nodes', undefined), `${verb} nodes`);
    t.ok(can(SPEAKER, verb, '', 'secrets', NAMESPACE), `${verb} secrets in ${NAMESPACE}`);
    for (const plural of METALLB_PLURALS) t.ok(can(SPEAKER, verb, METALLB_GROUP, plural, NAMESPACE), `${verb} ${plural}`);
    for (const elsewhere of ['default', 'kube-system', undefined]) {
      t.notOk(can(SPEAKER, verb, '', 'secrets', elsewhere), `no ${verb} on secrets in ${elsewhere ?? 'all namespaces'}`);
    }
  }
  t.ok(can(SPEAKER, 'create', '', 'events', 'web'), 'create Events');
  for (const { rule, namespace, role } of grantsOf(SPEAKER)) {
    if (rule.resources.includes('secrets')) t.equal(namespace, NAMESPACE, `${role}: secrets only through a Role in ${NAMESPACE}`);
  }
  for (const verb of WRITE) {
    for (const resource of ['services', 'services/status', 'endpointslices', 'nodes', 'secrets', 'leases']) {
      t.notOk(can(SPEAKER, verb, resource === 'endpointslices' ? 'discovery.k8s.io' : resource === 'leases' ? 'coordination.k8s.io' : '', resource, 'web'), `no ${verb} ${resource}`);
    }
  }
  const writes = grantsOf(SPEAKER).flatMap(({ rule }) => rule.verbs.filter((v) => WRITE.includes(v)).flatMap((v) => rule.resources.map((r) => `${v} ${r}`)));
  t.same([...new Set(writes)].sort(), ['create events', 'create servicel2statuses', 'delete servicel2statuses', 'patch servicel2statuses/status'], 'its only writes: Events and its ServiceL2Status objects');
  for (const { rule, namespace, role } of grantsOf(SPEAKER)) {
    if (rule.resources.some((r) => r.startsWith('servicel2statuses'))) t.equal(namespace, NAMESPACE, `${role}: ServiceL2Status only in ${NAMESPACE}`);
  }
});

// ---- workloads ---------------------------------------------------------------------------------

function container(workload: Dict): Dict {
  const containers = list(at(workload, 'spec.template.spec.containers'), 'containers');
  if (containers.length !== 1) throw new Error(`${String(at(workload, 'metadata.name'))}: expected one container`);
  return dict(containers[0], 'container');
}

function envFieldRef(c: Dict, name: string): unknown {
  const entry = list(c['env'] ?? [], 'env').find((e) => at(e, 'name') === name);
  return at(entry, 'valueFrom.fieldRef.fieldPath');
}

/** `rawSockets`: the speaker, root with NET_RAW as its only capability (see deploy/speaker.yaml). */
function checkHardened(t: Test, workload: Dict, options: { rawSockets?: boolean } = {}): void {
  const pod = dict(at(workload, 'spec.template.spec'), 'pod spec');
  const c = container(workload);
  if (options.rawSockets === true) {
    t.equal(at(pod, 'securityContext.runAsUser'), 0, 'uid 0: a non-root process gets no effective capability in Kubernetes');
    t.same(at(c, 'securityContext.capabilities.add'), ['NET_RAW'], 'NET_RAW only, for the ARP/NDP sockets');
  } else {
    t.equal(at(pod, 'securityContext.runAsNonRoot'), true, 'runAsNonRoot');
    // The image's USER is a name; the kubelet can enforce runAsNonRoot only with a numeric user.
    t.ok(Number.isInteger(at(pod, 'securityContext.runAsUser')) && (at(pod, 'securityContext.runAsUser') as number) > 0, 'a numeric non-root runAsUser');
    t.equal(at(c, 'securityContext.capabilities.add'), undefined, 'none added');
  }
  t.equal(at(pod, 'securityContext.seccompProfile.type'), 'RuntimeDefault');
  t.equal(at(c, 'securityContext.readOnlyRootFilesystem'), true, 'readOnlyRootFilesystem');
  t.equal(at(c, 'securityContext.allowPrivilegeEscalation'), false, 'allowPrivilegeEscalation: false');
  t.same(at(c, 'securityContext.capabilities.drop'), ['ALL'], 'every capability dropped');
  t.equal(at(c, 'securityContext.privileged'), undefined, 'not privileged');
  t.ok(at(c, 'resources.requests.cpu') && at(c, 'resources.requests.memory') && at(c, 'resources.limits.memory'), 'requests and a memory limit');
  const podLabels = dict(at(workload, 'spec.template.metadata.labels'), 'pod labels');
  for (const [key, value] of Object.entries(dict(at(workload, 'spec.selector.matchLabels'), 'selector'))) {
    t.equal(podLabels[key], value, `the selector's ${key} is a pod label`);
  }
}

t.test('controller: one non-root replica with every capability dropped, in its own namespace', async (t) => {
  const deployment = find('Deployment', CONTROLLER);
  t.equal(at(deployment, 'spec.replicas'), 1, 'one replica (leader election covers a second)');
  checkHardened(t, deployment);
  const c = container(deployment);
  const args = list(c['args'], 'args').map(String);
  t.equal(args[0], 'controller');
  t.ok(args.includes('--namespace=$(POD_NAMESPACE)'), '--namespace from the downward API');
  t.equal(envFieldRef(c, 'POD_NAMESPACE'), 'metadata.namespace');
  t.equal(envFieldRef(c, 'POD_NAME'), 'metadata.name', 'POD_NAME, the Lease holder identity');
  t.notOk(at(deployment, 'spec.template.spec.hostNetwork'), 'no host network');
});

t.test('speaker: hostNetwork, the node name from the downward API, NET_RAW only, metrics on 7472, heartbeats on 7946/UDP', async (t) => {
  const daemonSet = find('DaemonSet', SPEAKER);
  const pod = dict(at(daemonSet, 'spec.template.spec'), 'pod spec');
  t.equal(pod['hostNetwork'], true, 'hostNetwork');
  t.equal(pod['dnsPolicy'], 'ClusterFirstWithHostNet', 'cluster DNS despite hostNetwork');
  checkHardened(t, daemonSet, { rawSockets: true });
  const c = container(daemonSet);
  const args = list(c['args'], 'args').map(String);
  t.equal(args[0], 'speaker');
  t.ok(args.includes('--metrics=:7472'), 'the metrics are served (--metrics)');
  t.ok(args.includes('--layer2-port=7946'), 'the heartbeat port');
  t.ok(args.includes('--node-name=$(NODE_NAME)'), '--node-name from NODE_NAME');
  t.ok(args.includes('--namespace=$(POD_NAMESPACE)'), '--namespace from the downward API');
  t.equal(envFieldRef(c, 'POD_NAMESPACE'), 'metadata.namespace');
  t.equal(envFieldRef(c, 'NODE_NAME'), 'spec.nodeName', 'NODE_NAME is the downward API spec.nodeName');
  // The control socket must be somewhere writable despite the read-only root.
  const control = args.find((a) => a.startsWith('--control='))?.slice('--control='.length);
  t.ok(control !== undefined && list(c['volumeMounts'], 'mounts').some((m) => at(m, 'mountPath') === dirname(control)), 'the control socket is in a mounted volume');
  t.ok(readFileSync(join(REPO, 'docs/kubespray.md'), 'utf8').includes(`neighbors --control ${control ?? '?'}`), 'the doc asks the speaker at that socket');
  const ports = list(c['ports'], 'ports');
  t.ok(ports.some((p) => at(p, 'containerPort') === 7472 && at(p, 'protocol') === 'TCP'), 'port 7472');
  t.ok(ports.some((p) => at(p, 'containerPort') === 7946 && at(p, 'protocol') === 'UDP'), 'port 7946/UDP');
  const annotations = dict(at(daemonSet, 'spec.template.metadata.annotations'), 'annotations');
  t.equal(annotations['prometheus.io/scrape'], 'true');
  t.equal(annotations['prometheus.io/port'], '7472');
  const tolerations = list(pod['tolerations'], 'tolerations');
  for (const key of ['node-role.kubernetes.io/control-plane', 'node-role.kubernetes.io/master']) {
    t.ok(tolerations.some((x) => at(x, 'key') === key && at(x, 'effect') === 'NoSchedule'), `tolerates ${key} (kubespray's speaker tolerations)`);
  }
});

// ---- the kubespray Component -------------------------------------------------------------------

/** RFC 6902 "add" (the only op the Component uses), on a copy. */
function jsonPatchAdd(target: unknown, path: string, value: unknown): void {
  const steps = path.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  const last = steps.pop();
  let parent = target;
  for (const step of steps) parent = Array.isArray(parent) ? parent[Number(step)] : dict(parent, path)[step];
  if (last === undefined) throw new Error('empty path');
  if (Array.isArray(parent)) {
    if (last === '-') parent.push(value);
    else parent.splice(Number(last), 0, value);
  } else if (isDict(parent)) parent[last] = value;
  else throw new Error(`${path}: no parent`);
}

t.test('the kubespray Component gives both binaries --config from the Secret k8s-bridge-config', async (t) => {
  const file = join(DEPLOY, 'kubespray/kustomization.yaml');
  const component = dict(parseYaml(readFileSync(file, 'utf8'), file)[0], 'component');
  t.equal(component['kind'], 'Component');
  const patched: Record<string, Dict> = {};
  for (const entry of list(component['patches'], 'patches')) {
    const kind = String(at(entry, 'target.kind'));
    const name = String(at(entry, 'target.name'));
    const workload = structuredClone(find(kind, name));
    for (const op of list(parseYaml(String(at(entry, 'patch')), `${kind} patch`)[0], 'ops')) {
      t.equal(at(op, 'op'), 'add');
      jsonPatchAdd(workload, String(at(op, 'path')), at(op, 'value'));
    }
    patched[kind] = workload;
  }
  t.same(Object.keys(patched).sort(), ['DaemonSet', 'Deployment']);
  for (const workload of Object.values(patched)) {
    const c = container(workload);
    const config = list(c['args'], 'args').map(String).find((a) => a.startsWith('--config='))?.slice('--config='.length);
    t.equal(config, '/etc/k8s-bridge/config.yaml');
    const mount = list(c['volumeMounts'], 'mounts').find((m) => at(m, 'mountPath') === dirname(config ?? ''));
    t.equal(at(mount, 'readOnly'), true, 'mounted read-only');
    const volume = list(at(workload, 'spec.template.spec.volumes'), 'volumes').find((v) => at(v, 'name') === at(mount, 'name'));
    t.equal(at(volume, 'secret.secretName'), 'k8s-bridge-config', 'from the Secret');
    // runAsUser 1000 must be able to read a root-owned file: no defaultMode narrower than 0644.
    t.equal(at(volume, 'secret.defaultMode'), undefined);
  }
});

// ---- Dockerfile --------------------------------------------------------------------------------

t.test('Dockerfile: node 20 bookworm-slim, the repo pnpm, paths that exist, USER node, the entrypoint', async (t) => {
  const text = readFileSync(join(DEPLOY, 'Dockerfile'), 'utf8');
  const lines = text.split('\n');
  t.match(text, /^ARG NODE_IMAGE=node:20-bookworm-slim$/m);
  t.equal(lines.filter((l) => l.startsWith('FROM ')).length, 2, 'two stages');
  const packageManager = String(JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).packageManager);
  t.match(text, new RegExp(`^ARG PNPM_VERSION=${packageManager.replace('pnpm@', '').replace(/\./g, '\\.')}$`, 'm'), `pnpm as the repo pins it (${packageManager})`);
  t.match(text, /apt-get install -y --no-install-recommends python3 make g\+\+/, 'node-gyp needs python3, make, g++');
  t.match(text, /^USER node$/m);
  t.match(text, /^ENTRYPOINT \["node", "\/app\/packages\/k8s-bridge\/bin\/k8s-bridge\.js"\]$/m);
  t.ok(existsSync(join(REPO, 'packages/k8s-bridge/bin/k8s-bridge.js')), 'the entrypoint is in the repository at that path under /app');
  // Every COPY from the build context names something the repository has.
  const sources = lines
    .filter((l) => l.startsWith('COPY ') && !l.includes('--from='))
    .flatMap((l) => l.split(/\s+/).slice(1, -1));
  t.ok(sources.length >= 15, `${sources.length} COPY sources`);
  for (const source of sources) t.ok(existsSync(join(REPO, source)), `COPY ${source} exists`);
  // Each workspace package is copied, and the addon the code loads is where bgp-core looks for it.
  for (const pkg of readdirSync(join(REPO, 'packages')).filter((p) => existsSync(join(REPO, 'packages', p, 'package.json')))) {
    t.ok(sources.includes(`packages/${pkg}/package.json`), `${pkg}'s package.json`);
    t.ok(sources.includes(`packages/${pkg}/src`), `${pkg}'s sources`);
  }
  const addonPath = /const ADDON_PATH = '([^']+)'/.exec(readFileSync(join(REPO, 'packages/bgp-core/src/md5/addon.ts'), 'utf8'))?.[1];
  t.equal(resolve('/app/packages/bgp-core/dist/md5', addonPath ?? ''), '/app/packages/bgp-core/build/Release/tcp_md5.node', 'the addon path bgp-core loads');
  t.match(text, /cp \/src\/packages\/bgp-core\/build\/Release\/tcp_md5\.node packages\/bgp-core\/build\/Release\//);
  t.match(text, /not built by CI/i, 'says it is not built by CI');
});

// ---- docs/kubespray.md ---------------------------------------------------------------------------

const doc = readFileSync(join(REPO, 'docs/kubespray.md'), 'utf8');
const yamlBlocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] as string);

function model(text: string, source: string): BridgeConfig {
  const documents = parseYaml(text, source);
  const result = resolveDocuments(documents);
  if (isProblems(result)) throw new Error(`${source}: ${result.map((p) => `${p.path}: ${p.reason}`).join('; ')}`);
  return result;
}

t.test('docs/kubespray.md: the variables and their conversion to MetalLB objects give the same configuration', async (t) => {
  const varsBlock = yamlBlocks.find((b) => /^metallb_/m.test(b) && !/^apiVersion/m.test(b));
  const objectsBlock = yamlBlocks.find((b) => /^apiVersion: metallb\.io\//m.test(b));
  if (varsBlock === undefined || objectsBlock === undefined) {
    t.fail('the doc has a variables example and a MetalLB objects example');
    return;
  }
  const vars = model(varsBlock, 'the variables example');
  const crdsModel = model(objectsBlock, 'the objects example');
  t.equal(vars.source, 'kubespray');
  t.equal(crdsModel.source, 'crds');
  // Kubernetes names take no "_", so the doc renames kube_service_pool_1.
  const dnsName = (name: string): string => name.replace(/_/g, '-');
  const pools = (m: BridgeConfig): unknown => m.pools.map((p) => ({ ...p, name: dnsName(p.name) }));
  t.same(pools(crdsModel), pools(vars), 'the same pools');
  t.same(
    crdsModel.bgpAdvertisements.map((a) => ({ ...a, pools: a.pools.map(dnsName), poolNames: a.poolNames.map(dnsName) })),
    vars.bgpAdvertisements.map((a) => ({ ...a, pools: a.pools.map(dnsName), poolNames: a.poolNames.map(dnsName) })),
    'the same advertisements',
  );
  const peer = (m: BridgeConfig): unknown => m.peers.map(({ password: _p, passwordSecret: _s, ...rest }) => rest);
  t.same(peer(crdsModel), peer(vars), 'the same peers');
  t.ok(vars.peers[0]?.password !== undefined && crdsModel.peers[0]?.passwordSecret !== undefined, 'the inline password became a Secret');
  // The Secret the doc creates is the one the peer names, with MetalLB's type and key.
  const secret = crdsModel.peers[0]?.passwordSecret;
  t.match(doc, new RegExp(`create secret generic ${secret?.name ?? '?'} --type=kubernetes\\.io/basic-auth \\\\\\n\\s+--from-literal=password=`));
  t.equal(secret?.namespace ?? NAMESPACE, NAMESPACE, 'in the namespace the speaker may read');

  const admitted = admitAll(parseYaml(objectsBlock, 'the objects example'));
  t.same([admitted.pruned, admitted.invalid], [[], []], 'the objects example passes the CRDs');
  t.same(resolveDocuments(admitted.documents), crdsModel, 'and reads the same after admission');
});

t.test('docs/kubespray.md: every variable of the seed, and commands that match the manifests', async (t) => {
  for (const variable of [
    'metallb_enabled',
    'metallb_speaker_enabled',
    'metallb_protocol',
    'metallb_ip_range',
    'metallb_avoid_buggy_ips',
    'metallb_peers',
    'metallb_additional_address_pools',
    'metallb_controller_tolerations',
    'kube_proxy_strict_arp',
    'calico_advertise_service_loadbalancer_ips',
  ]) {
    t.match(doc, new RegExp(`^\\| \`${variable}[^|]*\` \\|`, 'm'), `${variable} has a row in the table`);
  }
  t.match(doc, /k8s-bridge check --config vars\.yaml/);
  t.match(doc, /kubectl apply -k deploy\//);
  // The Secret and key the Component mounts.
  t.match(doc, /create secret generic k8s-bridge-config --from-file=config\.yaml=vars\.yaml/);
  for (const [kind, name] of [
    ['deployment', CONTROLLER],
    ['daemonset', SPEAKER],
  ] as const) {
    t.match(doc, new RegExp(`${kind}/${name}`), `rollout restart names the ${kind}`);
  }
  t.match(doc, /kubectl replace -f deploy\/crds\/bgppeers\.yaml/, 'the CRD file the doc replaces exists under that name');
  t.ok(existsSync(join(DEPLOY, 'crds/bgppeers.yaml')));
  // The kustomize snippet parses and targets objects that exist.
  const patchBlock = yamlBlocks.find((b) => /^patches:/m.test(b));
  const patches = list(at(parseYaml(patchBlock ?? '', 'the patches example')[0], 'patches'), 'patches');
  for (const entry of patches) t.ok(find(String(at(entry, 'target.kind')), String(at(entry, 'target.name'))), `targets ${String(at(entry, 'target.name'))}`);
});
