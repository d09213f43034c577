import { expect } from 'chai';
import { Cluster } from 'ioredis';
import { startPrivateRedisCluster, type PrivateRedisCluster } from '../../chaos/private-nodes.js';
import { eventually } from '../support/broker.js';

/**
 * The building block of `npm run chaos -- --cluster`'s Redis side: a private Redis Cluster
 * with a replica per primary, one primary killed with kill -9, its replica promoted by the
 * cluster itself, and the dead node back as a replica.
 */
describe('a private Redis Cluster with replicas, a primary killed', function () {
  this.timeout(120_000);
  let cluster: PrivateRedisCluster;
  let client: Cluster;
  before(async () => {
    cluster = await startPrivateRedisCluster({ replicas: 1, nodeTimeoutMs: 2000 });
    client = new Cluster(cluster.nodes.map((node) => ({ host: '127.0.0.1', port: node.port })));
  });
  after(async () => {
    client?.disconnect();
    await cluster?.stop();
  });

  it('has three primaries and three replicas; after kill -9 of a primary its replica serves its keys, and the dead node returns as a replica', async () => {
    expect(cluster.nodes).to.have.length(6);
    const primaries = await cluster.primaries();
    expect(primaries).to.have.length(3);
    // The primary killed is the one that holds the key.
    const key = 'matchq-private-cluster-test:{failover}';
    await client.set(key, 'kept');
    const ownerPort = await primaryPortOf(client, key);
    const owner = primaries.find((node) => node.port === ownerPort)!;
    expect(owner, `the key's primary ${ownerPort} is one of ${primaries.map((node) => node.port).join(', ')}`).to.not.equal(undefined);
    // Replication is asynchronous: wait until the replica has the write, or the failover may lose it.
    const ownerClient = client.nodes('master').find((node) => node.options.port === ownerPort)!;
    expect(Number(await ownerClient.call('WAIT', '1', '5000'))).to.equal(1);

    await owner.kill(true);
    await cluster.promoted(owner.port);
    const after = await cluster.primaries();
    expect(after.map((node) => node.port)).to.not.include(owner.port);
    expect(after).to.have.length(3);
    // While the cluster settles a read may fail (a moved slot, a node down): that is "not yet", and eventually asks again.
    expect(await eventually('the key from the promoted replica', async () => (await client.get(key).catch(() => null)) ?? undefined)).to.equal('kept');

    await owner.start();
    await cluster.healthy();
    expect((await cluster.primaries()).map((node) => node.port)).to.not.include(owner.port);
  });
});

async function primaryPortOf(client: Cluster, key: string): Promise<number> {
  const slot = Number(await client.cluster('KEYSLOT', key));
  const range = (await client.cluster('SLOTS')).find(([low, high]) => slot >= low && slot <= high)!;
  return range[2]![1];
}
