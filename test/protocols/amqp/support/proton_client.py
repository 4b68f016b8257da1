"""
An independent AMQP 1.0 client for the interop tests: Qpid Proton (Debian's python3-qpid-proton).

Usage: proton_client.py <command> '<json arguments>'. Prints one JSON object on stdout.
Every command takes `url`, and `ca` (a PEM file to trust) for amqps URLs.
Commands:
  send        url address messages[]            -> {"outcomes": [...], "encoded": [hex...]}
  receive     url address count [credit] [timeout] [selector] [accept] [modified]
                                                -> {"messages": [typed view...]}
  durable     url container name address phase [count]
                                                -> {"messages": [...]} (phases: see cmd_durable)
  request     url service body                  -> {"reply": ..., "correlation": ..., "replyTo": ...}
  tx          url address                       -> {"received": [{body, deliveryCount}...]}
A message spec: {"body": <value spec>, "inferred": bool, "props": {name: <value spec>}, "durable": bool,
"priority": n, "ttl": ms, "id": str, "correlation": str, "subject": str, "contentType": str}.
A value spec is [type, value] with type one of the AMQP type names below, or "list"/"map" of specs.
"""
import json
import sys
import uuid

from proton import (Delivery, Message, SSLDomain, byte, char, float32, int32, short, symbol, timestamp, ubyte, uint,
                    ulong, ushort)
from proton.handlers import MessagingHandler, TransactionHandler
from proton.reactor import Container, DurableSubscription, Selector
from proton.utils import BlockingConnection

MAKE = {
    'null': lambda v: None,
    'boolean': bool,
    'ubyte': ubyte, 'ushort': ushort, 'uint': uint, 'ulong': ulong,
    'byte': byte, 'short': short, 'int': int32, 'long': int,
    'float': float32, 'double': float,
    'char': char, 'timestamp': timestamp,
    'uuid': lambda v: uuid.UUID(v),
    'binary': lambda v: bytes.fromhex(v),
    'string': str, 'symbol': symbol,
}


def make(spec):
    kind, value = spec
    if kind == 'list':
        return [make(v) for v in value]
    if kind == 'map':
        return {make(k): make(v) for k, v in value}
    return MAKE[kind](value)


def view(value):
    """A typed, JSON-able view of a decoded value: [type, value]."""
    if value is None:
        return ['null', None]
    if isinstance(value, bool):
        return ['boolean', value]
    for cls, name in ((ubyte, 'ubyte'), (ushort, 'ushort'), (uint, 'uint'), (ulong, 'ulong'), (byte, 'byte'),
                      (short, 'short'), (int32, 'int'), (timestamp, 'timestamp'), (float32, 'float'),
                      (char, 'char'), (symbol, 'symbol')):
        if isinstance(value, cls):
            return [name, float(value) if name == 'float' else (str(value) if name in ('char', 'symbol') else int(value))]
    if isinstance(value, int):
        return ['long', value]
    if isinstance(value, float):
        return ['double', value]
    if isinstance(value, uuid.UUID):
        return ['uuid', str(value)]
    if isinstance(value, (bytes, memoryview)):
        return ['binary', bytes(value).hex()]
    if isinstance(value, str):
        return ['string', value]
    if isinstance(value, list):
        return ['list', [view(v) for v in value]]
    if isinstance(value, dict):
        return ['map', [[view(k), view(v)] for k, v in value.items()]]
    return ['other', repr(value)]


def build(spec):
    m = Message(inferred=spec.get('inferred', False))
    if 'body' in spec:
        m.body = make(spec['body'])
    if 'props' in spec:
        m.properties = {k: make(v) for k, v in spec['props'].items()}
    for key, attr in (('durable', 'durable'), ('priority', 'priority'), ('id', 'id'), ('correlation', 'correlation_id'),
                      ('subject', 'subject'), ('contentType', 'content_type'), ('replyTo', 'reply_to'), ('address', 'address')):
        if key in spec:
            setattr(m, attr, spec[key])
    if 'ttl' in spec:
        m.ttl = spec['ttl'] / 1000.0
    return m


def describe(m, delivery_count=None):
    return {
        'body': view(m.body),
        'inferred': m.inferred,
        'props': {k: view(v) for k, v in (m.properties or {}).items()},
        'durable': m.durable,
        'priority': m.priority,
        'id': m.id if m.id is None or isinstance(m.id, str) else str(m.id),
        'correlation': m.correlation_id if m.correlation_id is None or isinstance(m.correlation_id, str) else str(m.correlation_id),
        'subject': m.subject,
        'contentType': m.content_type,
        'replyTo': m.reply_to,
        'address': m.address,
        'deliveryCount': m.delivery_count,
        'annotations': {str(k): view(v) for k, v in (m.annotations or {}).items()},
    }


def connect(a, **kwargs):
    """A blocking connection; with `ca`, over TLS trusting that PEM file."""
    if a.get('ca'):
        domain = SSLDomain(SSLDomain.MODE_CLIENT)
        domain.set_trusted_ca_db(a['ca'])
        domain.set_peer_authentication(SSLDomain.VERIFY_PEER_NAME)
        kwargs['ssl_domain'] = domain
    return BlockingConnection(a['url'], timeout=10, **kwargs)


def cmd_send(a):
    conn = connect(a)
    sender = conn.create_sender(a['address'])
    outcomes, encoded = [], []
    for spec in a['messages']:
        m = build(spec)
        encoded.append(m.encode().hex())
        delivery = sender.send(m)
        outcomes.append(str(delivery.remote_state))
    conn.close()
    return {'outcomes': outcomes, 'encoded': encoded}


def cmd_receive(a):
    conn = connect(a)
    options = Selector(a['selector']) if a.get('selector') else None
    # credit 0: one credit per receive() call, none left over to take a redelivery early.
    receiver = conn.create_receiver(a['address'], credit=a.get('credit', a['count']), options=options)
    got = []
    for _ in range(a['count']):
        try:
            m = receiver.receive(timeout=a.get('timeout', 5))
        except Exception:
            break
        got.append(describe(m))
        if a.get('accept', True):
            receiver.accept()
        elif a.get('modified', False):
            # modified with delivery-failed (BlockingReceiver.release leaves the flag unset)
            delivery = receiver.fetcher.unsettled.popleft()
            delivery.local.failed = True
            delivery.update(Delivery.MODIFIED)
            delivery.settle()
        else:
            receiver.release(delivered=False)
    conn.close()
    return {'messages': got}


def cmd_durable(a):
    """phase subscribe: create and detach; resume: receive count then detach; unsubscribe: close it."""
    container = Container()
    container.container_id = a['container']
    conn = connect(a, container=container)
    receiver = conn.create_receiver(a['address'], name=a['name'], options=DurableSubscription(), credit=a.get('count', 10))
    got = []
    if a['phase'] == 'resume':
        for _ in range(a['count']):
            try:
                m = receiver.receive(timeout=3)
            except Exception:
                break
            got.append(describe(m))
            receiver.accept()
    if a['phase'] == 'unsubscribe':
        receiver.close()
    else:
        receiver.detach()
    conn.close()
    return {'messages': got}


def cmd_request(a):
    conn = connect(a)
    replies = conn.create_receiver(None, dynamic=True)
    reply_to = replies.remote_source.address
    sender = conn.create_sender(a['service'])
    sender.send(Message(body=a['body'], reply_to=reply_to, correlation_id='req-1'))
    reply = replies.receive(timeout=5)
    replies.accept()
    conn.close()
    return {'reply': reply.body, 'correlation': reply.correlation_id, 'replyTo': reply_to}


class Transacted(MessagingHandler, TransactionHandler):
    """Sends two messages in a transaction that is rolled back, then two in one committed;
    receives one in a transaction that is rolled back (redelivered), then commits its receipt."""

    def __init__(self, url, address):
        super(Transacted, self).__init__(prefetch=0, auto_accept=False)
        self.url, self.address = url, address
        self.step = 'send-rollback'
        self.result = {}
        self.received = []

    def on_start(self, event):
        self.conn = event.container.connect(self.url)
        self.sender = event.container.create_sender(self.conn, self.address)
        event.container.declare_transaction(self.conn, handler=self)

    def on_transaction_declared(self, event):
        self.txn = event.transaction
        if self.step in ('send-rollback', 'send-commit'):
            tag = 'rolled-back' if self.step == 'send-rollback' else 'committed'
            for i in range(2):
                self.txn.send(self.sender, Message(body='%s-%d' % (tag, i), durable=True))
            if self.step == 'send-rollback':
                self.txn.abort()
            else:
                self.txn.commit()
        else:
            self.receiver.flow(1)

    def on_transaction_aborted(self, event):
        if self.step == 'send-rollback':
            self.step = 'send-commit'
            event.container.declare_transaction(self.conn, handler=self)
        elif self.step == 'receive-rollback':
            self.step = 'receive-commit'
            event.container.declare_transaction(self.conn, handler=self)

    def on_transaction_committed(self, event):
        if self.step == 'send-commit':
            self.step = 'receive-rollback'
            self.receiver = event.container.create_receiver(self.conn, self.address)
            event.container.declare_transaction(self.conn, handler=self)
        elif self.step == 'receive-commit':
            self.result['received'] = self.received
            self.conn.close()

    def on_message(self, event):
        self.received.append({'body': event.message.body, 'deliveryCount': event.message.delivery_count})
        self.txn.accept(event.delivery)
        if self.step == 'receive-rollback':
            self.txn.abort()
        else:
            self.txn.commit()

    def on_transaction_declare_failed(self, event):
        self.result['error'] = 'declare failed'
        self.conn.close()

    def on_transaction_commit_failed(self, event):
        self.result['error'] = 'commit failed'
        self.conn.close()


def cmd_tx(a):
    handler = Transacted(a['url'], a['address'])
    Container(handler).run()
    return handler.result


COMMANDS = {'send': cmd_send, 'receive': cmd_receive, 'durable': cmd_durable, 'request': cmd_request, 'tx': cmd_tx}

if __name__ == '__main__':
    try:
        print(json.dumps(COMMANDS[sys.argv[1]](json.loads(sys.argv[2]))))
    except Exception as e:  # reported to the test, which fails
        print(json.dumps({'error': '%s: %s' % (type(e).__name__, e)}))
        sys.exit(1)
