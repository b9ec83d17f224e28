// The applier's health rules against gitops-engine's for the kinds dist/ holds, and its wave order (no cluster needed).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { K8sObject } from '../helpers/synth.js';
import { health, waves } from './argo-sync.js';

const object = (kind: string, rest: Record<string, unknown> = {}, generation = 1): K8sObject =>
  ({
    apiVersion: 'apps/v1',
    kind,
    metadata: { name: 'x', namespace: 'p2pnc', generation } as K8sObject['metadata'],
    ...rest,
  }) as K8sObject;

test('Deployment: Healthy once its updated replicas are available, Degraded past its progress deadline', () => {
  const deployment = (status: Record<string, unknown>, replicas = 2) =>
    object('Deployment', { spec: { replicas }, status: { observedGeneration: 1, ...status } });
  assert.equal(health(deployment({ replicas: 2, updatedReplicas: 2, availableReplicas: 2 })).status, 'Healthy');
  assert.equal(health(deployment({ replicas: 2, updatedReplicas: 1, availableReplicas: 2 })).status, 'Progressing');
  assert.equal(
    health(deployment({ replicas: 3, updatedReplicas: 2, availableReplicas: 2 })).status,
    'Progressing',
    'an old replica still terminating',
  );
  assert.equal(health(deployment({ replicas: 2, updatedReplicas: 2, availableReplicas: 1 })).status, 'Progressing');
  assert.equal(
    health(
      object(
        'Deployment',
        { spec: { replicas: 1 }, status: { observedGeneration: 1, updatedReplicas: 1, availableReplicas: 1 } },
        2,
      ),
    ).status,
    'Progressing',
    'a new generation not observed yet',
  );
  assert.equal(
    health(deployment({ conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }] }))
      .status,
    'Degraded',
  );
});

test('DaemonSet: Healthy once every scheduled pod is updated and available', () => {
  const daemonSet = (status: Record<string, unknown>) =>
    object('DaemonSet', { status: { observedGeneration: 1, ...status } });
  assert.equal(
    health(daemonSet({ desiredNumberScheduled: 2, updatedNumberScheduled: 2, numberAvailable: 2 })).status,
    'Healthy',
  );
  assert.equal(
    health(daemonSet({ desiredNumberScheduled: 2, updatedNumberScheduled: 2, numberAvailable: 1 })).status,
    'Progressing',
  );
  assert.equal(
    health(daemonSet({ desiredNumberScheduled: 2, updatedNumberScheduled: 1, numberAvailable: 2 })).status,
    'Progressing',
  );
  assert.equal(
    health(daemonSet({ desiredNumberScheduled: 0 })).status,
    'Healthy',
    'no node selected: nothing to wait for',
  );
});

test('CRD: Healthy when Established; anything else Healthy once it exists', () => {
  const crd = (established: string) =>
    ({
      ...object('CustomResourceDefinition'),
      apiVersion: 'apiextensions.k8s.io/v1',
      status: { conditions: [{ type: 'Established', status: established }] },
    }) as K8sObject;
  assert.equal(health(crd('True')).status, 'Healthy');
  assert.equal(health(crd('False')).status, 'Progressing');
  assert.equal(health(object('ServiceAccount')).status, 'Healthy');
  assert.equal(health(undefined).status, 'Progressing', 'not created yet');
});

test('waves ascend by the sync-wave annotation, 0 when absent', () => {
  const at = (name: string, wave?: string): K8sObject => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, ...(wave ? { annotations: { 'argocd.argoproj.io/sync-wave': wave } } : {}) },
  });
  const byWave = waves([at('c', '3'), at('a'), at('b', '1'), at('m', '-1'), at('d', '3')]);
  assert.deepEqual([...byWave.keys()], [-1, 0, 1, 3]);
  assert.deepEqual(
    byWave.get(3)?.map((o) => o.metadata.name),
    ['c', 'd'],
  );
});
