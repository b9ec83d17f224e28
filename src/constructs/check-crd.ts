import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { CheckSchema, GROUP, KIND, PLURAL, SHORT_NAME, VERSION } from '../api/check.js';
import { REACHABLE } from '../api/constants.js';
import { structuralSchema } from '../api/structural.js';

/** The CustomResourceDefinition of PodNetworkConnectivityCheck, its schema generated from the zod schema of the check. */
export class CheckCrd extends Construct {
  readonly apiObject: ApiObject;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.apiObject = new ApiObject(this, 'Resource', {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: `${PLURAL}.${GROUP}` },
      spec: checkCrdSpec(),
    });
  }
}

export function checkCrdSpec() {
  return {
    group: GROUP,
    names: {
      kind: KIND,
      listKind: `${KIND}List`,
      plural: PLURAL,
      singular: KIND.toLowerCase(),
      shortNames: [SHORT_NAME],
      categories: ['p2pnc'],
    },
    scope: 'Namespaced',
    versions: [
      {
        name: VERSION,
        served: true,
        storage: true,
        subresources: { status: {} },
        additionalPrinterColumns: [
          { name: 'Source', type: 'string', jsonPath: '.spec.sourcePod' },
          { name: 'Target Endpoint', type: 'string', jsonPath: '.spec.targetEndpoint' },
          { name: 'Target Node', type: 'string', jsonPath: '.spec.target.node', priority: 1 },
          { name: REACHABLE, type: 'string', jsonPath: `.status.conditions[?(@.type=="${REACHABLE}")].status` },
          {
            name: 'Since',
            type: 'date',
            jsonPath: `.status.conditions[?(@.type=="${REACHABLE}")].lastTransitionTime`,
          },
          { name: 'Latency', type: 'string', jsonPath: '.status.successes[0].latency' },
          { name: 'Last Failure', type: 'string', jsonPath: '.status.failures[0].reason', priority: 1 },
          { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
        ],
        schema: { openAPIV3Schema: structuralSchema(CheckSchema) },
      },
    ],
  };
}
