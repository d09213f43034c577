import { expect } from 'chai';
import { redactUrl } from '../../common/backing.js';

describe('redactUrl: no password reaches a line', () => {
  it('hides the password of one URL and keeps the rest', () => {
    expect(redactUrl('amqp://guest:s3cret@127.0.0.1:5672')).to.equal('amqp://guest:***@127.0.0.1:5672');
    expect(redactUrl('postgres://postgres@127.0.0.1:5432/matchq')).to.equal('postgres://postgres@127.0.0.1:5432/matchq');
  });

  it("hides every node's password in a list (AMQP_URL or REDIS_URL of a cluster)", () => {
    const list = redactUrl('amqp://guest:s3cret@10.0.0.1:5672,amqp://guest:s3cret@10.0.0.2:5672,redis://:other@10.0.0.3:6379');
    expect(list).to.not.include('s3cret').and.not.include('other');
    expect(list.split(',')).to.deep.equal(['amqp://guest:***@10.0.0.1:5672', 'amqp://guest:***@10.0.0.2:5672', 'redis://:***@10.0.0.3:6379']);
  });

  it('leaves a string that is not a URL as it is', () => {
    expect(redactUrl('rabbitmqctl -n matchq@localhost')).to.equal('rabbitmqctl -n matchq@localhost');
  });
});
