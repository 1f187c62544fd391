// Value rules of Nocalhost's config validation: names, quantities, ports, port pairs, workload kinds.
// Each returns undefined when the value is valid, or a message.

import type { ServiceType } from './types';
import { serviceTypes } from './fields';

const label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A DNS-1123 label (container names): at most 63 lower-case alphanumerics or '-', alphanumeric at both ends. */
export function checkDns1123Label(value: string): string | undefined {
  if (value === '') return undefined;
  if (value.length > 63) return `"${value}" is longer than 63 characters`;
  if (!label.test(value)) return `"${value}" must consist of lower-case letters, digits and '-', and start and end with a letter or digit`;
  return undefined;
}

/** A DNS-1123 subdomain (workload names): labels joined by '.', at most 253 characters. */
export function checkDns1123Subdomain(value: string): string | undefined {
  if (value === '') return undefined;
  if (value.length > 253) return `"${value}" is longer than 253 characters`;
  if (!value.split('.').every((part) => label.test(part)))
    return `"${value}" must consist of lower-case letters, digits, '-' and '.', and start and end with a letter or digit`;
  return undefined;
}

const quantity = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+|Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$/;

/** A Kubernetes resource quantity such as 500m, 2, 0.5, 512Mi, 1e3. */
export function checkQuantity(value: string): string | undefined {
  if (value === '') return undefined;
  return quantity.test(value) ? undefined : `"${value}" is not a Kubernetes quantity (e.g. 500m, 2, 512Mi, 1Gi)`;
}

function portNumber(s: string): number | undefined {
  if (!/^\d{1,5}$/.test(s)) return undefined;
  const n = Number(s);
  return n <= 65535 ? n : undefined;
}

/** A port forward: "local:remote", ":remote" (any free local port) or "port" (the same on both sides). */
export function checkPortPair(value: string): string | undefined {
  const parts = value.split(':');
  if (parts.length === 1) {
    return portNumber(value) === undefined ? `"${value}" is not a port (0-65535) nor a "local:remote" pair` : undefined;
  }
  if (parts.length > 2) return `"${value}" has more than one ':'; write "local:remote"`;
  const [local = '', remote = ''] = parts;
  if (local !== '' && portNumber(local) === undefined) return `local port "${local}" in "${value}" is not a port number (0-65535)`;
  if (portNumber(remote) === undefined) return `remote port "${remote}" in "${value}" is not a port number (0-65535)`;
  return undefined;
}

/** A TCP port number in [0, 65535]. */
export function checkPort(value: number): string | undefined {
  return Number.isInteger(value) && value >= 0 && value <= 65535 ? undefined : `${value} is not a TCP port number in [0, 65535]`;
}

/** Kinds spelled as resource names that Nocalhost accepts for serviceType. */
const resourceAliases: Readonly<Record<string, ServiceType>> = {
  'deployments.v1.apps': 'deployment',
  'deployments.v1beta1.apps': 'deployment',
  'deployments.v1beta2.apps': 'deployment',
  'deployments.v1beta1.extensions': 'deployment',
  'statefulsets.v1.apps': 'statefulset',
  'statefulsets.v1beta1.apps': 'statefulset',
  'statefulsets.v1beta2.apps': 'statefulset',
  'statefulsets.v1beta1.extensions': 'statefulset',
  'pods.v1.': 'pod',
};

/**
 * Resolves a serviceType: exact lower-case kinds and Nocalhost's resource-name aliases are valid;
 * other casings of a kind resolve with a warning; anything else is an error.
 */
export function resolveServiceType(value: string): { type?: ServiceType; warning?: string; error?: string } {
  if ((serviceTypes as readonly string[]).includes(value)) return { type: value as ServiceType };
  const alias = resourceAliases[value];
  if (alias) return { type: alias };
  const lower = value.toLowerCase();
  if ((serviceTypes as readonly string[]).includes(lower))
    return { type: lower as ServiceType, warning: `serviceType "${value}" should be written in lower case: "${lower}"` };
  return { error: `serviceType "${value}" is not supported; use one of ${serviceTypes.join(', ')}` };
}
