import { describe, it, expect } from 'vitest';
import type { DevConfigInput } from '../../../server/config';
import { parseFixture, renderDiagnostics } from './support';

/** Parses a fixture and returns its diagnostics, one line each. */
function diagnostics(txtar: string, extra: Partial<DevConfigInput> = {}): string[] {
  return renderDiagnostics(parseFixture(txtar, extra).diagnostics);
}

/** Parses a fixture and checks its diagnostics. */
function check(txtar: string, expected: string[], extra: Partial<DevConfigInput> = {}): void {
  const actual = diagnostics(txtar, extra);
  if (process.env["SHOW"]) console.log("ACTUAL " + JSON.stringify(actual, null, 1));
  expect(actual).toEqual(expected);
}

/** A one-line summary per service: `type/name [container:image, ...]`. */
function services(txtar: string, extra: Partial<DevConfigInput> = {}): string[] {
  const r = parseFixture(txtar, extra);
  return r.services.map((s) => `${s.serviceType}/${s.name} [${s.containers.map((c) => `${c.name}:${c.dev.image}`).join(', ')}]`);
}

describe('shapes', () => {
  it('reads the app-level shape (configProperties + application.services)', () => {
    const fx = `
-- .nocalhost/config.yaml --
configProperties:
  version: v2
application:
  name: shop
  manifestType: rawManifestLocal
  services:
    - name: web
      serviceType: deployment
      containers:
        - name: web
          dev:
            image: node:20
    - name: db
      serviceType: statefulset
      containers:
        - dev:
            image: postgres:16
`;
    expect(services(fx)).toEqual(['deployment/web [web:node:20]', 'statefulset/db [:postgres:16]']);
    expect(parseFixture(fx).application).toEqual({ name: 'shop', manifestType: 'rawManifestLocal', env: [] });
    check(fx, []);
  });

  it('reads a list of services', () => {
    const fx = `
-- .nocalhost/config.yaml --
- name: a
  serviceType: job
  containers: [{ dev: { image: busybox } }]
- name: b
  serviceType: cronjob
  containers: [{ dev: { image: alpine } }]
`;
    expect(services(fx)).toEqual(['job/a [:busybox]', 'cronjob/b [:alpine]']);
    check(fx, []);
  });

  it('reads a single service', () => {
    const fx = `
-- .nocalhost/config.yaml --
name: worker
serviceType: daemonset
containers:
  - name: main
    dev:
      image: golang:1.22
`;
    expect(services(fx)).toEqual(['daemonset/worker [main:golang:1.22]']);
    check(fx, []);
  });

  it('reads the annotation form, taking name and serviceType from the workload', () => {
    const fx = `
-- annotation --
containers:
  - dev:
      image: python:3.12
      workDir: /src
`;
    expect(services(fx, { form: 'annotation', workload: { name: 'api', kind: 'StatefulSet' } })).toEqual(['statefulset/api [:python:3.12]']);
    check(fx, [], { form: 'annotation', workload: { name: 'api', kind: 'StatefulSet' } });
    // Without a workload the name is empty and the kind a deployment.
    expect(services(fx, { form: 'annotation' })).toEqual(['deployment/ [:python:3.12]']);
  });

  it('reads manifests with dev.nocalhost annotations, with positions in the manifest', () => {
    const fx = `
-- k8s.yaml --
apiVersion: v1
kind: Service
metadata:
  name: web
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations:
    dev.nocalhost: |
      containers:
        - dev:
            image: node:20
            portForward: ["80:abc"]
spec: {}
`;
    expect(services(fx)).toEqual(['deployment/web [:node:20]']);
    check(fx, ['15:27-15:35 error invalid-port-pair: portForward: remote port "abc" in "80:abc" is not a port number (0-65535)']);
    const svc = parseFixture(fx).services[0];
    expect(svc?.source.range.start).toEqual({ line: 11, character: 6 });
  });

  it('reports an empty file, a scalar and an unrelated mapping', () => {
    check(`-- c.yaml --\n`, ['1:1-1:1 warning empty-config: the config is empty']);
    check(`-- c.yaml --\nhello\n`, ['1:1-1:6 error unrecognized-shape: this is not a Nocalhost dev config: expected application/configProperties, a list of services, or a service with containers']);
    check(`-- c.yaml --\nfoo: 1\n`, [
      '1:1-1:4 warning unknown-key: unknown key "foo" in service; it is ignored',
      '1:1-1:4 error unrecognized-shape: this is not a Nocalhost dev config: expected application/configProperties, a list of services, or a service with containers',
    ]);
  });

  it('reads only the first YAML document of a config', () => {
    check(`-- c.yaml --\n- name: a\n  serviceType: pod\n---\n- name: b\n`, ['4:1-4:10 warning multiple-documents: only the first YAML document is read; this one is ignored']);
  });
});

describe('defaults', () => {
  it('applies Nocalhost defaults to a minimal container', () => {
    const r = parseFixture(`-- c.yaml --\nname: a\nserviceType: deployment\ncontainers:\n  - dev: {}\n`);
    expect(r.services[0]?.containers[0]).toMatchInlineSnapshot(`
      {
        "dev": {
          "command": {
            "build": [],
            "debug": [],
            "hotReloadDebug": [],
            "hotReloadRun": [],
            "run": [],
          },
          "env": [],
          "gitUrl": "",
          "hotReload": false,
          "image": "",
          "patches": [],
          "persistentVolumeDirs": [],
          "portForward": [],
          "shell": "",
          "storageClass": "",
          "sync": {
            "deleteProtection": true,
            "filePattern": [
              "./",
            ],
            "ignoreFilePattern": [],
            "mode": "pattern",
            "type": "send",
          },
          "useDevContainer": false,
          "workDir": "/home/nocalhost-dev",
        },
        "name": "",
        "source": {
          "fileName": "/ws/svc/c.yaml",
          "range": {
            "end": {
              "character": 11,
              "line": 3,
            },
            "start": {
              "character": 4,
              "line": 3,
            },
          },
        },
      }
    `);
  });

  it('keeps given values and normalizes sendonly to send', () => {
    const r = parseFixture(`-- c.yaml --
name: a
serviceType: deployment
containers:
  - name: a
    dev:
      workDir: /app
      sync: { type: sendonly, mode: gitIgnore, deleteProtection: false, filePattern: [src], ignoreFilePattern: [dist] }
      debug: { remoteDebugPort: 9229, language: node }
      hotReload: true
      resources: { limits: { cpu: 2, memory: 2Gi }, requests: { cpu: "0.5" } }
      patches: [{ patch: '{"spec":{}}', type: merge }]
`);
    const dev = r.services[0]?.containers[0]?.dev;
    expect(dev?.workDir).toBe('/app');
    expect(dev?.sync).toEqual({ type: 'send', mode: 'gitIgnore', filePattern: ['src'], ignoreFilePattern: ['dist'], deleteProtection: false });
    expect(dev?.debug).toEqual({ remoteDebugPort: 9229, language: 'node' });
    expect(dev?.hotReload).toBe(true);
    expect(dev?.resources).toEqual({ limits: { cpu: '2', memory: '2Gi' }, requests: { cpu: '0.5' } });
    expect(dev?.patches).toEqual([{ patch: '{"spec":{}}', type: 'merge' }]);
    expect(r.diagnostics).toEqual([]);
  });
});

describe('templating', () => {
  it('substitutes variables, defaults and the other operators', () => {
    const r = parseFixture(
      `-- c.yaml --
name: a
serviceType: deployment
containers:
  - dev:
      image: \${IMAGE}
      workDir: \${DIR:-/home/dev}
      shell: \${SHELL_SET:+zsh}
      gitUrl: \${EMPTY-kept-empty}x
      storageClass: $CLASS
      command: { run: ["sh", "-c", "echo $$HOME"] }
`,
      { env: { IMAGE: 'node:20', SHELL_SET: '1', EMPTY: '', CLASS: 'fast' } },
    );
    const dev = r.services[0]?.containers[0]?.dev;
    expect([dev?.image, dev?.workDir, dev?.shell, dev?.gitUrl, dev?.storageClass, dev?.command.run]).toEqual([
      'node:20',
      '/home/dev',
      'zsh',
      'x',
      'fast',
      ['sh', '-c', 'echo $HOME'],
    ]);
    expect(renderDiagnostics(r.diagnostics)).toEqual(['8:7-8:13 warning not-applied: dev.gitUrl is not applied by nhd: nhd does not clone; it syncs the local directory you give it (--local-dir)']);
  });

  it('warns about unset variables without a default, at the expression', () => {
    check(`-- c.yaml --\nname: a\nserviceType: deployment\ncontainers:\n  - dev: { image: "\${NOPE}", shell: $SH }\n`, [
      '4:20-4:27 warning undefined-variable: ${NOPE} is not set and becomes empty',
      '4:37-4:40 warning undefined-variable: $SH is not set and becomes empty (write $$ for a literal $)',
    ]);
  });

  it('does not warn about variables in comments (they are still rendered, like Nocalhost)', () => {
    check(`-- c.yaml --\n# image: \${IMAGE} and $HOME and \${BROKEN\nname: a # $NOTE\nserviceType: pod\ncontainers: []\n`, []);
  });

  it('reports malformed expressions', () => {
    check(`-- c.yaml --\nname: a\nserviceType: deployment\ncontainers:\n  - dev: { image: "\${IMAGE" }\n`, [
      '4:20-4:30 error template-syntax: unexpected "\"" in ${IMAGE...}; expected "}" or one of :- := :+ - = +',
    ]);
    check(`-- c.yaml --\nname: a\nserviceType: deployment\ncontainers:\n  - dev:\n      image: \${IMAGE:-x\n`, [
      '5:14-5:24 error template-syntax: closing "}" expected on the same line for ${IMAGE',
    ]);
    check(`-- c.yaml --\nname: \${}\n`, [
      '1:1-1:5 error missing-required: service needs a serviceType (deployment, statefulset, daemonset, job, cronjob or pod)',
      '1:7-1:10 error template-syntax: expected a variable name after "${"',
      '1:7-1:10 error invalid-name: name: "${}" must consist of lower-case letters, digits, \'-\' and \'.\', and start and end with a letter or digit',
    ]);
  });

  it('reads configProperties.envFile; the process environment wins', () => {
    const fx = `
-- .nocalhost/config.yaml --
configProperties:
  version: v2
  envFile: env.dev
application:
  name: app
  env:
    - { name: A, value: \${A:-none} }
    - { name: B, value: \${B:-none} }
-- .nocalhost/env.dev --
# comment
A=from-file
B=from-file
not a variable
`;
    expect(parseFixture(fx, { env: { B: 'from-env' } }).application?.env).toEqual([
      { name: 'A', value: 'from-file' },
      { name: 'B', value: 'from-env' },
    ]);
    check(fx.replace('envFile: env.dev', 'envFile: missing.env'), [
      '3:12-3:23 warning env-file-not-found: cannot read envFile /ws/svc/.nocalhost/missing.env; templates are rendered without it',
      '6:3-6:6 warning not-applied: application.env is not applied by nhd: nhd app install does not change the manifests it applies',
    ]);
  });

  it('includes a file with nindent, relative to the including file, and maps its problems to the include line', () => {
    const fx = `
-- .nocalhost/config.yaml --
application:
  name: app
  services:
    \${_INCLUDE_:-./parts/services.yaml | nindent 4}
-- .nocalhost/parts/services.yaml --
- name: web
  serviceType: deployment
  containers:
    - dev:
        image: \${IMG:-node:20}
        portForward: ["8080:80", "x:1"]
    \${_INCLUDE_:-./more.yaml | nindent 4}
-- .nocalhost/parts/more.yaml --
- name: side
  dev:
    image: sidecar
    colour: red
`;
    expect(services(fx)).toEqual(['deployment/web [:node:20, side:sidecar]']);
    const r = parseFixture(fx);
    expect(renderDiagnostics(r.diagnostics)).toEqual([
      '4:5-4:52 error invalid-port-pair: portForward: local port "x" in "x:1" is not a port number (0-65535) (in services.yaml:6:34)',
      '4:5-4:52 warning unknown-key: unknown key "colour" in dev; it is ignored (in more.yaml:4:5)',
    ]);
    expect(r.diagnostics[0]?.origin).toEqual({ fileName: '/ws/svc/.nocalhost/parts/services.yaml', range: { start: { line: 5, character: 33 }, end: { line: 5, character: 38 } } });
    expect(r.services[0]?.source.range).toEqual({ start: { line: 3, character: 4 }, end: { line: 3, character: 51 } });
    expect(r.services[0]?.origin?.fileName).toBe('/ws/svc/.nocalhost/parts/services.yaml');
  });

  it('reports a missing include, a cycle and an unsupported operation', () => {
    check(`-- c.yaml --\n\${_INCLUDE_:-./nope.yaml}\n`, [
      '1:1-1:26 error include-not-found: cannot read included file /ws/svc/nope.yaml',
    ]);
    check(`-- c.yaml --\n\${_INCLUDE_:-./b.yaml}\n-- b.yaml --\n\${_INCLUDE_:-./c.yaml}\n`, ['1:1-1:23 error include-cycle: circular include: c.yaml -> b.yaml -> c.yaml (in b.yaml:1:1)']);
    check(`-- c.yaml --\n- \${_INCLUDE_:-./b.yaml | indent 2}\n-- b.yaml --\nx\n`, [
      '1:3-1:36 error invalid-include: unsupported _INCLUDE_ operation "indent 2"; only "nindent N" is supported',
    ]);
  });

  it('merges envFrom files into env; env wins', () => {
    const fx = `
-- .nocalhost/config.yaml --
name: a
serviceType: deployment
containers:
  - dev:
      env: [{ name: A, value: from-env }]
      envFrom: { envFile: [{ path: vars.env }, { path: gone.env }] }
-- .nocalhost/vars.env --
A=from-file
B=2
`;
    const r = parseFixture(fx);
    expect(r.services[0]?.containers[0]?.dev.env).toEqual([
      { name: 'B', value: '2' },
      { name: 'A', value: 'from-env' },
    ]);
    expect(r.services[0]?.containers[0]?.dev.envFrom).toEqual({ envFile: [{ path: '/ws/svc/.nocalhost/vars.env' }, { path: '/ws/svc/.nocalhost/gone.env' }] });
    expect(renderDiagnostics(r.diagnostics)).toEqual(['6:56-6:64 warning env-file-not-found: cannot read env file /ws/svc/.nocalhost/gone.env']);
  });
});

describe('validation', () => {
  const svc = (dev: string): string => `-- c.yaml --\nname: a\nserviceType: deployment\ncontainers:\n  - name: a\n    dev:\n${dev.replace(/^/gm, '      ')}\n`;

  it.each([
    ['portForward: ["8080:80", "9000", ":3000", "70000:1"]', ['6:49-6:58 error invalid-port-pair: portForward: local port "70000" in "70000:1" is not a port number (0-65535)']],
    ['portForward: ["1:2:3"]', ['6:21-6:28 error invalid-port-pair: portForward: "1:2:3" has more than one \':\'; write "local:remote"']],
    ['resources: { limits: { cpu: 2x, memory: 1Gi } }', ['6:35-6:37 error invalid-quantity: cpu: "2x" is not a Kubernetes quantity (e.g. 500m, 2, 512Mi, 1Gi)']],
    ['persistentVolumeDirs: [{ path: /data, capacity: lots }]', ['6:55-6:59 error invalid-quantity: capacity: "lots" is not a Kubernetes quantity (e.g. 500m, 2, 512Mi, 1Gi)']],
    ['sync: { type: both }', ['6:21-6:25 error invalid-sync-type: type must be one of "send", "sendReceive", "sendonly", not "both"']],
    ['sync: { mode: regex }', ['6:21-6:26 error invalid-sync-mode: mode must be one of "pattern", "gitIgnore", not "regex"']],
    ['debug: { language: rust }', ['6:26-6:30 error invalid-language: language must be one of "node", "java", "go", "python", "php", "ruby", not "rust"']],
    ['debug: { remoteDebugPort: 70000 }', ['6:33-6:38 error invalid-port: remoteDebugPort: 70000 is not a TCP port number in [0, 65535]']],
    ['debug: { remoteDebugPort: "9229" }', ['6:33-6:39 error invalid-type: remoteDebugPort should be an integer, not the string "9229"']],
    ['hotReload: "maybe"', ['6:18-6:25 error invalid-type: hotReload should be true or false, not the string "maybe"']],
    ['hotReload: yes\nuseDevContainer: off', []],
    ['sync: send', ['6:13-6:17 error invalid-type: sync should be a mapping, not the string "send"']],
    ['imagePullPolicy: Sometimes', ['6:24-6:33 error invalid-value: imagePullPolicy must be one of "Always", "IfNotPresent", "Never", not "Sometimes"']],
    ['env: [{ value: x }]', ['6:15-6:20 error missing-required: an env entry needs a name']],
    ['devContainerName: Main_1', ['6:25-6:31 error invalid-name: devContainerName: "Main_1" must consist of lower-case letters, digits and \'-\', and start and end with a letter or digit']],
  ])('%s', (dev, expected) => {
    check(svc(dev), expected);
  });

  it('checks service names, container names and serviceType', () => {
    check(`-- c.yaml --\n- name: Web_1\n  serviceType: deployment\n- name: ok\n  serviceType: replicaset\n- name: ok2\n  serviceType: Deployment\n  containers: [{ name: Bad }]\n`, [
      '1:9-1:14 error invalid-name: name: "Web_1" must consist of lower-case letters, digits, \'-\' and \'.\', and start and end with a letter or digit',
      '4:16-4:26 error invalid-service-type: serviceType "replicaset" is not supported; use one of deployment, statefulset, daemonset, job, cronjob, pod',
      '6:16-6:26 warning invalid-service-type: serviceType "Deployment" should be written in lower case: "deployment"',
      '7:24-7:27 error invalid-name: name: "Bad" must consist of lower-case letters, digits and \'-\', and start and end with a letter or digit',
    ]);
  });

  it('accepts Nocalhost resource-name aliases for serviceType', () => {
    expect(services(`-- c.yaml --\nname: a\nserviceType: deployments.v1.apps\ncontainers: []\n`)).toEqual(['deployment/a []']);
  });

  it('requires name and serviceType in a file', () => {
    check(`-- c.yaml --\n- containers: []\n- name: a\n`, [
      "1:3-1:13 error missing-required: a service needs a name (the workload's name)",
      '1:3-1:13 error missing-required: service needs a serviceType (deployment, statefulset, daemonset, job, cronjob or pod)',
      '2:3-2:7 error missing-required: service "a" needs a serviceType (deployment, statefulset, daemonset, job, cronjob or pod)',
    ]);
  });

  it('rejects config versions other than v2', () => {
    check(`-- c.yaml --\nconfigProperties: { version: v1 }\n`, ['1:30-1:32 error unsupported-version: version must be one of "v2", not "v1"']);
  });
});

describe('unknown and duplicate keys', () => {
  it('warns about unknown keys at the key, with a suggestion', () => {
    check(`-- c.yaml --\nname: a\nserviceType: deployment\ncontainers:\n  - dev:\n      imagee: x\n      sync: { tpye: send }\n      colour: red\n`, [
      '5:7-5:13 warning unknown-key: unknown key "imagee" in dev (did you mean "image"?); it is ignored',
      '6:15-6:19 warning unknown-key: unknown key "tpye" in sync (did you mean "type"?); it is ignored',
      '7:7-7:13 warning unknown-key: unknown key "colour" in dev; it is ignored',
    ]);
  });

  it('warns about duplicate keys on the ignored one; the last wins', () => {
    const fx = `-- c.yaml --\nname: a\nserviceType: deployment\ncontainers:\n  - dev:\n      image: first\n      image: second\n`;
    check(fx, ['5:7-5:12 warning duplicate-key: duplicate key "image": this value is ignored, the one on line 6 is used']);
    expect(services(fx)).toEqual(['deployment/a [:second]']);
  });

  it('keeps the last of services with the same name and type, the first of containers with the same name', () => {
    const fx = `-- c.yaml --
- name: a
  serviceType: deployment
  containers: [{ name: c, dev: { image: one } }, { name: c, dev: { image: two } }]
- name: a
  serviceType: deployment
  containers: [{ dev: { image: three } }]
`;
    expect(services(fx)).toEqual(['deployment/a [:three]']);
    check(fx, [
      '1:9-1:10 warning duplicate-service: service "a" (deployment) is defined again on line 4; this definition is ignored',
      '3:58-3:59 warning duplicate-container: container "c" is already configured on line 3; this entry is ignored',
    ]);
  });
});

describe('invalid YAML', () => {
  it('reports syntax errors with ranges and does not throw', () => {
    const r = parseFixture(`-- c.yaml --\nname: a\nserviceType: [deployment\ncontainers:\n  - dev: {image: x\n`);
    expect(r.diagnostics.every((d) => d.code === 'yaml-syntax' || d.severity === 'warning' || d.code === 'invalid-type')).toBe(true);
    expect(r.diagnostics.some((d) => d.code === 'yaml-syntax')).toBe(true);
    for (const d of r.diagnostics) expect(d.range.start.line).toBeLessThan(6);
  });

  it('reports a tab indentation error at its place', () => {
    expect(diagnostics(`-- c.yaml --\nname: a\n\tserviceType: deployment\n`)[0]).toMatch(/^2:1-.* error yaml-syntax: /);
  });
});

describe('JSON output', () => {
  it('is plain JSON: no symbols, no undefined, survives a round trip', () => {
    const r = parseFixture(`-- c.yaml --\nname: a\nserviceType: deployment\ncontainers:\n  - dev: { image: x, debug: { remoteDebugPort: 1 } }\n`);
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
    expect(Object.keys(r.services[0] ?? {})).toEqual(['name', 'serviceType', 'containers', 'source']);
  });
});

describe('YAML features', () => {
  it('applies merge keys and aliases; own keys win over merged ones', () => {
    const fx = `-- c.yaml --
- name: a
  serviceType: pod
  containers:
    - dev: &base
        image: x
        shell: bash
- name: b
  serviceType: pod
  containers:
    - dev:
        <<: *base
        shell: sh
`;
    expect(parseFixture(fx).services.map((s) => s.containers.map((c) => `${c.dev.image} ${c.dev.shell}`))).toEqual([['x bash'], ['x sh']]);
    check(fx, []);
  });

  it('handles CRLF line ends with exact ranges', () => {
    const r = parseFixture('-- c.yaml --\n' + 'name: a\r\nserviceType: pod\r\ncontainers:\r\n  - dev:\r\n      imagee: x\r\n');
    expect(renderDiagnostics(r.diagnostics)).toEqual(['5:7-5:13 warning unknown-key: unknown key "imagee" in dev (did you mean "image"?); it is ignored']);
  });

  it('reports YAML syntax errors at their place', () => {
    check(`-- c.yaml --\nname: a\n  serviceType: pod\n`, [
      '1:1-1:5 error missing-required: service needs a serviceType (deployment, statefulset, daemonset, job, cronjob or pod)',
      '1:7-1:8 error yaml-syntax: Nested mappings are not allowed in compact mappings',
      '1:7-2:14 error yaml-syntax: Implicit keys need to be on a single line',
      '1:7-2:19 error invalid-type: name should be a string, not a mapping',
    ]);
    check(`-- c.yaml --\nname: a\nserviceType: pod\ncontainers:\n  - dev: {image: x\n`, [
      '5:1-5:1 error yaml-syntax: Flow map in block collection must be sufficiently indented and end with a }',
    ]);
  });
});

describe('annotation form with several services', () => {
  it('keeps only the annotated workload from a list', () => {
    const fx = `-- a --\n- name: other\n  serviceType: deployment\n  containers: [{ dev: { image: a } }]\n- name: api\n  serviceType: deployment\n  containers: [{ dev: { image: b } }]\n`;
    expect(services(fx, { form: 'annotation', workload: { name: 'api', kind: 'Deployment' } })).toEqual(['deployment/api [:b]']);
    check(fx, ['1:1-1:1 warning no-matching-service: none of these services is Deployment "nope", the annotated workload'], {
      form: 'annotation',
      workload: { name: 'nope', kind: 'Deployment' },
    });
  });
});
