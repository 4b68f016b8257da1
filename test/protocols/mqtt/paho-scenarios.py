"""Interop scenarios run by interop-paho.test.ts with Debian's python3-paho-mqtt (1.6).

usage: paho-scenarios.py <scenario> <transport> <port> [ca-file]
Prints one JSON object with what the clients saw. Between steps that need the other side
(an MQTT.js publisher), it prints `WAIT <what>` and reads one line from stdin.
"""
import json
import queue
import sys
import time

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

SCENARIO, TRANSPORT, PORT = sys.argv[1], sys.argv[2], int(sys.argv[3])
CA = sys.argv[4] if len(sys.argv) > 4 else None
TIMEOUT = 5


def client(client_id, protocol, clean=True, will=None):
    client_id = f"{client_id}-{TRANSPORT}"
    kwargs = {"transport": "websockets"} if TRANSPORT == "wss" else {}
    if protocol == mqtt.MQTTv5:
        c = mqtt.Client(client_id, protocol=protocol, **kwargs)
    else:
        c = mqtt.Client(client_id, clean_session=clean, protocol=protocol, **kwargs)
    if TRANSPORT in ("tls", "wss"):
        c.tls_set(ca_certs=CA)
    if will:
        c.will_set(*will)
    c.inbox = queue.Queue()
    c.connected = queue.Queue()
    c.on_message = lambda cl, ud, msg: cl.inbox.put(msg)

    def on_connect(cl, ud, flags, rc, properties=None):
        cl.connected.put((flags, rc))

    c.on_connect = on_connect
    return c


def connect(c, clean_start=True, properties=None):
    if c._protocol == mqtt.MQTTv5:
        c.connect("127.0.0.1", PORT, 30, clean_start=clean_start, properties=properties)
    else:
        c.connect("127.0.0.1", PORT, 30)
    c.loop_start()
    flags, rc = c.connected.get(timeout=TIMEOUT)
    return {"session_present": bool(flags.get("session present")), "rc": int(rc if isinstance(rc, int) else rc.value)}


def take(c, n):
    out = []
    for _ in range(n):
        m = c.inbox.get(timeout=TIMEOUT)
        item = {"topic": m.topic, "payload": m.payload.decode("utf-8", "replace"), "qos": m.qos, "retain": bool(m.retain)}
        props = getattr(m, "properties", None)
        if props is not None:
            d = props.json()
            if "CorrelationData" in d:
                d["CorrelationData"] = list(props.CorrelationData)
            item["properties"] = d
        out.append(item)
    return out


def quiet(c, seconds=0.3):
    time.sleep(seconds)
    out = []
    while not c.inbox.empty():
        out.append(c.inbox.get().topic)
    return out


def wait_for(what):
    print(f"WAIT {what}", flush=True)
    sys.stdin.readline()


def subscribed(c, *args, **kwargs):
    result, mid = c.subscribe(*args, **kwargs)
    assert result == mqtt.MQTT_ERR_SUCCESS
    time.sleep(0.2)


def v311():
    result = {}
    sub = client("paho-311-sub", mqtt.MQTTv311, clean=False)
    result["first_connect"] = connect(sub)
    subscribed(sub, [("paho/#", 2)])
    pub = client("paho-311-pub", mqtt.MQTTv311)
    connect(pub)
    for qos in (0, 1, 2):
        pub.publish(f"paho/q{qos}", f"qos{qos}", qos=qos).wait_for_publish(TIMEOUT)
    pub.publish("paho/retained", "kept", qos=1, retain=True).wait_for_publish(TIMEOUT)
    result["live"] = take(sub, 4)
    sub.disconnect()
    sub.loop_stop()
    wait_for("offline-publish")  # MQTT.js publishes paho/offline while the session is offline
    sub2 = client("paho-311-sub", mqtt.MQTTv311, clean=False)
    result["resumed"] = connect(sub2)
    result["offline"] = take(sub2, 1)
    late = client("paho-311-late", mqtt.MQTTv311)
    connect(late)
    subscribed(late, "paho/retained", 1)
    result["retained"] = take(late, 1)
    dying = client("paho-311-dying", mqtt.MQTTv311, will=("paho/will", "died", 1, False))
    connect(dying)
    dying.loop_stop()
    dying.socket().close()
    result["will"] = take(sub2, 1)
    pub.publish("paho/retained", "", qos=1, retain=True).wait_for_publish(TIMEOUT)  # clears it
    result["cleared"] = take(sub2, 1)
    for c in (sub2, pub, late):
        c.disconnect()
        c.loop_stop()
    return result


def v5():
    result = {}
    sub = client("paho-5-sub", mqtt.MQTTv5)
    connect(sub)
    sub_props = Properties(PacketTypes.SUBSCRIBE)
    sub_props.SubscriptionIdentifier = 9
    subscribed(sub, "paho5/#", options=mqtt.SubscribeOptions(qos=2, noLocal=True), properties=sub_props)
    sub.publish("paho5/own", "mine", qos=1).wait_for_publish(TIMEOUT)
    pub = client("paho-5-pub", mqtt.MQTTv5)
    connect(pub)
    props = Properties(PacketTypes.PUBLISH)
    props.UserProperty = [("a", "1"), ("b", "x")]
    props.ContentType = "application/json"
    props.CorrelationData = b"\x00\x01\xff"
    props.ResponseTopic = "paho5/reply"
    props.MessageExpiryInterval = 60
    props.PayloadFormatIndicator = 1
    pub.publish("paho5/props", '{"v":1}', qos=1, properties=props).wait_for_publish(TIMEOUT)
    result["props"] = take(sub, 1)
    result["no_local"] = quiet(sub)
    wait_for("js-publish")  # MQTT.js publishes paho5/from-js with a user property
    result["from_js"] = take(sub, 1)
    members = [client(f"paho-5-share-{i}", mqtt.MQTTv5) for i in range(2)]
    for m in members:
        connect(m)
        subscribed(m, "$share/grp/paho5s/#", options=mqtt.SubscribeOptions(qos=1))
    for i in range(10):
        pub.publish(f"paho5s/{i}", str(i), qos=1).wait_for_publish(TIMEOUT)
    time.sleep(0.5)
    result["shared"] = [m.inbox.qsize() for m in members]
    expiring = client("paho-5-expiring", mqtt.MQTTv5)
    connect_props = Properties(PacketTypes.CONNECT)
    connect_props.SessionExpiryInterval = 300
    result["expiring_first"] = connect(expiring, clean_start=True, properties=connect_props)
    subscribed(expiring, "paho5x/#", options=mqtt.SubscribeOptions(qos=1))
    expiring.disconnect()
    expiring.loop_stop()
    pub.publish("paho5x/queued", "while-away", qos=1).wait_for_publish(TIMEOUT)
    back = client("paho-5-expiring", mqtt.MQTTv5)
    result["expiring_back"] = connect(back, clean_start=False, properties=connect_props)
    result["queued"] = take(back, 1)
    for c in [sub, pub, back, *members]:
        c.disconnect()
        c.loop_stop()
    return result


print(json.dumps({"v311": v311, "v5": v5}[SCENARIO]()), flush=True)
