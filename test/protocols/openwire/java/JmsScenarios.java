import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.jms.*;
import org.apache.activemq.ActiveMQConnection;
import org.apache.activemq.ActiveMQConnectionFactory;
import org.apache.activemq.ActiveMQSession;
import org.apache.activemq.RedeliveryPolicy;

/**
 * JMS scenarios run by the OpenWire interop tests with ActiveMQ's own client:
 * java JmsScenarios <brokerUri> <scenario> [args...]. Prints "PASS <scenario>" and exits 0, or
 * prints the failure and exits 1. A watchdog ends a hung scenario with exit 2.
 */
public class JmsScenarios {
    static String uri;
    static final String RUN = Long.toHexString(System.nanoTime());

    public static void main(String[] args) throws Exception {
        uri = args[0];
        String scenario = args[1];
        String[] rest = Arrays.copyOfRange(args, 2, args.length);
        Thread watchdog = new Thread(() -> {
            try { Thread.sleep(Long.getLong("scenario.timeoutMs", 60000L)); } catch (InterruptedException e) { return; }
            System.out.println("FAIL " + scenario + ": timed out");
            System.out.flush();
            Runtime.getRuntime().halt(2);
        });
        watchdog.setDaemon(true);
        watchdog.start();
        try {
            run(scenario, rest);
            System.out.println("PASS " + scenario);
            System.out.flush();
            System.exit(0);
        } catch (Throwable t) {
            t.printStackTrace();
            System.out.println("FAIL " + scenario + ": " + t);
            System.out.flush();
            System.exit(1);
        }
    }

    static void run(String scenario, String[] args) throws Exception {
        switch (scenario) {
            case "queue-headers": queueHeaders(); break;
            case "message-types": messageTypes(); break;
            case "topics": topics(); break;
            case "ack-auto": ackAuto(); break;
            case "ack-client": ackClient(); break;
            case "prefetched-not-redelivered": prefetchedNotRedelivered(); break;
            case "wildcard-queue": wildcardQueue(); break;
            case "ack-dups-ok": ackDupsOk(); break;
            case "ack-individual": ackIndividual(); break;
            case "transactions": transactions(); break;
            case "dead-letter": deadLetter(); break;
            case "durable": durable(); break;
            case "selectors": selectors(); break;
            case "browser": browser(); break;
            case "scheduled": scheduled(); break;
            case "consumer-options": consumerOptions(); break;
            case "request-reply": requestReply(); break;
            case "expiration": expiration(); break;
            case "priority": priority(); break;
            case "async-sends": asyncSends(); break;
            case "prefetch-zero": prefetchZero(); break;
            case "producer-window": producerWindow(); break;
            case "client-id": clientId(); break;
            case "large-message": largeMessage(); break;
            case "compression": compression(); break;
            case "keepalive": keepalive(); break;
            case "oneway-errors": onewayErrors(); break;
            case "auth": auth(args); break;
            case "send": sendOnly(args); break;
            case "receive": receiveOnly(args); break;
            case "send-rich": sendRich(args); break;
            case "failover": failover(); break;
            default: throw new IllegalArgumentException("unknown scenario " + scenario);
        }
    }

    // ------------------------------------------------------------------ helpers

    static ActiveMQConnectionFactory factory() {
        ActiveMQConnectionFactory f = new ActiveMQConnectionFactory(uri);
        f.setTrustedPackages(Arrays.asList("java.util", "java.lang"));
        return f;
    }

    static Connection connect(String clientId) throws JMSException {
        Connection c = factory().createConnection();
        if (clientId != null) c.setClientID(clientId);
        c.start();
        return c;
    }

    static String name(String base) {
        return "it." + base + "." + RUN;
    }

    static void check(boolean ok, String what) {
        if (!ok) throw new AssertionError(what);
    }

    static void eq(Object expected, Object actual, String what) {
        if (expected == null ? actual != null : !expected.equals(actual)) {
            throw new AssertionError(what + ": expected <" + expected + "> but was <" + actual + ">");
        }
    }

    static String text(Message m) throws JMSException {
        check(m instanceof TextMessage, "expected a TextMessage, got " + m);
        return ((TextMessage) m).getText();
    }

    static void sendTexts(Session s, Destination d, String... texts) throws JMSException {
        MessageProducer p = s.createProducer(d);
        for (String t : texts) p.send(s.createTextMessage(t));
        p.close();
    }

    /** The texts a browser sees; closes it. */
    static List<String> browse(QueueBrowser b) throws JMSException {
        List<String> out = new ArrayList<>();
        for (Enumeration<?> e = b.getEnumeration(); e.hasMoreElements(); ) out.add(text((Message) e.nextElement()));
        b.close();
        return out;
    }

    static List<String> drain(MessageConsumer c, long firstTimeoutMs) throws JMSException {
        List<String> out = new ArrayList<>();
        Message m = c.receive(firstTimeoutMs);
        while (m != null) {
            out.add(text(m));
            m = c.receive(300);
        }
        return out;
    }

    // ------------------------------------------------------------------ scenarios

    /** JMS headers and typed properties on a queue. */
    static void queueHeaders() throws Exception {
        Connection c = connect(null);
        Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
        Queue q = s.createQueue(name("headers"));
        Queue reply = s.createQueue(name("headers.reply"));
        MessageProducer p = s.createProducer(q);
        TextMessage m = s.createTextMessage("Hello, Wharf! ümläut € \u0000 \uD83D\uDE00");
        m.setJMSCorrelationID("corr-1");
        m.setJMSType("my-type");
        m.setJMSReplyTo(reply);
        m.setStringProperty("JMSXGroupID", "group-A");
        m.setIntProperty("JMSXGroupSeq", 3);
        m.setBooleanProperty("boolProp", true);
        m.setByteProperty("byteProp", (byte) -2);
        m.setShortProperty("shortProp", (short) 300);
        m.setIntProperty("intProp", 42);
        m.setLongProperty("longProp", Long.MIN_VALUE);
        m.setFloatProperty("floatProp", 1.25f);
        m.setDoubleProperty("doubleProp", 3.5);
        m.setStringProperty("strProp", "value-é");
        m.setLongProperty("AMQ_SCHEDULED_DELAY", 0L);
        long before = System.currentTimeMillis();
        p.send(m, DeliveryMode.PERSISTENT, 7, 60000);
        MessageConsumer consumer = s.createConsumer(q);
        Message r = consumer.receive(5000);
        check(r != null, "no message");
        eq("Hello, Wharf! ümläut € \u0000 \uD83D\uDE00", text(r), "text");
        eq(m.getJMSMessageID(), r.getJMSMessageID(), "JMSMessageID");
        eq("corr-1", r.getJMSCorrelationID(), "JMSCorrelationID");
        eq("my-type", r.getJMSType(), "JMSType");
        eq(reply, r.getJMSReplyTo(), "JMSReplyTo");
        eq(q, r.getJMSDestination(), "JMSDestination");
        eq(7, r.getJMSPriority(), "JMSPriority");
        eq(DeliveryMode.PERSISTENT, r.getJMSDeliveryMode(), "JMSDeliveryMode");
        check(r.getJMSExpiration() >= before + 60000, "JMSExpiration " + r.getJMSExpiration());
        check(r.getJMSTimestamp() >= before, "JMSTimestamp");
        eq(false, r.getJMSRedelivered(), "JMSRedelivered");
        eq("group-A", r.getStringProperty("JMSXGroupID"), "JMSXGroupID");
        eq(3, r.getIntProperty("JMSXGroupSeq"), "JMSXGroupSeq");
        eq(1, r.getIntProperty("JMSXDeliveryCount"), "JMSXDeliveryCount");
        eq(Boolean.TRUE, r.getObjectProperty("boolProp"), "boolProp");
        eq(Byte.valueOf((byte) -2), r.getObjectProperty("byteProp"), "byteProp");
        eq(Short.valueOf((short) 300), r.getObjectProperty("shortProp"), "shortProp");
        eq(Integer.valueOf(42), r.getObjectProperty("intProp"), "intProp");
        eq(Long.valueOf(Long.MIN_VALUE), r.getObjectProperty("longProp"), "longProp");
        eq(Float.valueOf(1.25f), r.getObjectProperty("floatProp"), "floatProp");
        eq(Double.valueOf(3.5), r.getObjectProperty("doubleProp"), "doubleProp");
        eq("value-é", r.getObjectProperty("strProp"), "strProp");
        eq(Long.valueOf(0L), r.getObjectProperty("AMQ_SCHEDULED_DELAY"), "AMQ_SCHEDULED_DELAY");
        c.close();
    }

    /** Text, bytes, map, stream, object and plain messages. */
    static void messageTypes() throws Exception {
        Connection c = connect(null);
        Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
        Queue q = s.createQueue(name("types"));
        MessageProducer p = s.createProducer(q);
        p.send(s.createTextMessage("text body"));
        BytesMessage b = s.createBytesMessage();
        b.writeBytes(new byte[] {0, 1, 2, (byte) 0xff});
        b.writeInt(77);
        p.send(b);
        MapMessage mm = s.createMapMessage();
        mm.setBoolean("flag", true);
        mm.setByte("b", (byte) 127);
        mm.setShort("s", (short) -7);
        mm.setChar("c", 'Z');
        mm.setInt("i", 7);
        mm.setLong("big", 9007199254740993L);
        mm.setFloat("f", 2.5f);
        mm.setDouble("d", 0.1);
        mm.setString("name", "map-entry");
        mm.setBytes("blob", new byte[] {1, 2, 3});
        mm.setObject("nullish", null);
        p.send(mm);
        StreamMessage sm = s.createStreamMessage();
        sm.writeString("stream-str");
        sm.writeInt(99);
        sm.writeBoolean(true);
        sm.writeBytes(new byte[] {9, 8, 7});
        sm.writeDouble(-1.5);
        p.send(sm);
        ArrayList<String> list = new ArrayList<>(Arrays.asList("a", "b"));
        p.send(s.createObjectMessage(list));
        Message plain = s.createMessage();
        plain.setStringProperty("only", "headers");
        p.send(plain);
        p.send(s.createTextMessage(null));

        MessageConsumer consumer = s.createConsumer(q);
        eq("text body", text(consumer.receive(5000)), "text");
        BytesMessage rb = (BytesMessage) consumer.receive(5000);
        eq(8L, rb.getBodyLength(), "bytes length");
        byte[] four = new byte[4];
        rb.readBytes(four);
        check(Arrays.equals(four, new byte[] {0, 1, 2, (byte) 0xff}), "bytes");
        eq(77, rb.readInt(), "bytes int");
        MapMessage rm = (MapMessage) consumer.receive(5000);
        eq(Boolean.TRUE, rm.getObject("flag"), "map flag");
        eq(Byte.valueOf((byte) 127), rm.getObject("b"), "map byte");
        eq(Short.valueOf((short) -7), rm.getObject("s"), "map short");
        eq(Character.valueOf('Z'), rm.getObject("c"), "map char");
        eq(Integer.valueOf(7), rm.getObject("i"), "map int");
        eq(Long.valueOf(9007199254740993L), rm.getObject("big"), "map long");
        eq(Float.valueOf(2.5f), rm.getObject("f"), "map float");
        eq(Double.valueOf(0.1), rm.getObject("d"), "map double");
        eq("map-entry", rm.getObject("name"), "map string");
        check(Arrays.equals(new byte[] {1, 2, 3}, rm.getBytes("blob")), "map bytes");
        check(rm.itemExists("nullish") && rm.getObject("nullish") == null, "map null");
        StreamMessage rs = (StreamMessage) consumer.receive(5000);
        eq("stream-str", rs.readString(), "stream string");
        eq(99, rs.readInt(), "stream int");
        eq(true, rs.readBoolean(), "stream boolean");
        byte[] three = new byte[3];
        eq(3, rs.readBytes(three), "stream bytes length");
        check(Arrays.equals(three, new byte[] {9, 8, 7}), "stream bytes");
        rs.readBytes(three);
        eq(-1.5, rs.readDouble(), "stream double");
        ObjectMessage ro = (ObjectMessage) consumer.receive(5000);
        eq(list, ro.getObject(), "object");
        Message rp = consumer.receive(5000);
        check(!(rp instanceof TextMessage) && !(rp instanceof BytesMessage), "plain message type " + rp);
        eq("headers", rp.getStringProperty("only"), "plain property");
        eq(null, text(consumer.receive(5000)), "null text");
        c.close();
    }

    /** Topic fan-out to plain and wildcard subscribers; noLocal. */
    static void topics() throws Exception {
        Connection c = connect(null);
        Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
        Topic t = s.createTopic(name("topic") + ".news");
        MessageConsumer a = s.createConsumer(t);
        MessageConsumer b = s.createConsumer(t);
        MessageConsumer wild = s.createConsumer(s.createTopic(name("topic") + ".>"));
        MessageConsumer noLocal = s.createConsumer(t, null, true);
        Connection other = connect(null);
        Session os = other.createSession(false, Session.AUTO_ACKNOWLEDGE);
        MessageConsumer remote = os.createConsumer(t);
        sendTexts(s, t, "n1", "n2");
        eq(Arrays.asList("n1", "n2"), drain(a, 5000), "subscriber a");
        eq(Arrays.asList("n1", "n2"), drain(b, 5000), "subscriber b");
        eq(Arrays.asList("n1", "n2"), drain(wild, 5000), "wildcard subscriber");
        eq(Arrays.asList("n1", "n2"), drain(remote, 5000), "other connection");
        eq(null, noLocal.receive(500), "noLocal subscriber got its own message");
        other.close();
        c.close();
    }

    static void ackAuto() throws Exception {
        Connection c = connect(null);
        Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
        Queue q = s.createQueue(name("auto"));
        sendTexts(s, q, "a1", "a2", "a3");
        MessageConsumer consumer = s.createConsumer(q);
        eq(Arrays.asList("a1", "a2", "a3"), drain(consumer, 5000), "received");
        consumer.close();
        MessageConsumer again = s.createConsumer(q);
        eq(null, again.receive(500), "auto-acknowledged messages came back");
        c.close();
    }

    /**
     * A closed consumer's messages come back marked redelivered only if the application got them:
     * the merely prefetched ones are not (RemoveInfo.lastDeliveredSequenceId, as ActiveMQ does it).
     */
    static void prefetchedNotRedelivered() throws Exception {
        Connection c = connect(null);
        Session s = c.createSession(false, Session.CLIENT_ACKNOWLEDGE);
        Queue q = s.createQueue(name("prefetched"));
        sendTexts(s, q, "p1", "p2", "p3");
        MessageConsumer consumer = s.createConsumer(q);
        eq("p1", text(consumer.receive(5000)), "the first, handed to the application");
        Thread.sleep(300); // p2 and p3 are in the prefetch buffer by now
        consumer.close();
        MessageConsumer again = s.createConsumer(q);
        Message first = again.receive(5000);
        eq("p1", text(first), "the one the application had");
        eq(true, first.getJMSRedelivered(), "it was seen: redelivered");
        eq(2, first.getIntProperty("JMSXDeliveryCount"), "its JMSXDeliveryCount");
        for (String expected : new String[] {"p2", "p3"}) {
            Message m = again.receive(5000);
            eq(expected, text(m), "a prefetched one");
            eq(false, m.getJMSRedelivered(), expected + " was only prefetched: not redelivered");
            eq(1, m.getIntProperty("JMSXDeliveryCount"), expected + "'s JMSXDeliveryCount");
        }
        again.receive(100);
        first.acknowledge();
        c.close();
    }

    /** A consumer of `base.>` as a queue gets what is sent to every queue below base, each with its own JMSDestination. */
    static void wildcardQueue() throws Exception {
        Connection c = connect(null);
        Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
        String base = name("wild");
        sendTexts(s, s.createQueue(base + ".eu"), "eu");
        MessageConsumer consumer = s.createConsumer(s.createQueue(base + ".>"));
        sendTexts(s, s.createQueue(base + ".us.east"), "us");
        sendTexts(s, s.createQueue(name("elsewhere")), "not for the wildcard");
        java.util.Map<String, String> got = new java.util.TreeMap<>();
        for (int i = 0; i < 2; i++) {
            Message m = consumer.receive(5000);
            got.put(text(m), ((Queue) m.getJMSDestination()).getQueueName());
        }
        eq(base + ".eu", got.get("eu"), "from the queue made before the consumer");
        eq(base + ".us.east", got.get("us"), "from a queue made after it");
        check(consumer.receive(300) == null, "nothing from other queues");
        c.close();
    }

    /** CLIENT_ACKNOWLEDGE: unacknowledged messages come back redelivered; acknowledge() takes all. */
    static void ackClient() throws Exception {
        Connection c = connect(null);
        Session s = c.createSession(false, Session.CLIENT_ACKNOWLEDGE);
        Queue q = s.createQueue(name("client"));
        sendTexts(s, q, "c1", "c2", "c3");
        MessageConsumer consumer = s.createConsumer(q);
        eq(Arrays.asList("c1", "c2", "c3"), drain(consumer, 5000), "first delivery");
        consumer.close();
        s.close();
        Session s2 = c.createSession(false, Session.CLIENT_ACKNOWLEDGE);
        MessageConsumer again = s2.createConsumer(q);
        Message first = again.receive(5000);
        eq("c1", text(first), "redelivered first");
        eq(true, first.getJMSRedelivered(), "JMSRedelivered");
        eq(2, first.getIntProperty("JMSXDeliveryCount"), "JMSXDeliveryCount");
        Message second = again.receive(5000);
        eq("c2", text(second), "redelivered second");
        second.acknowledge();
        Message third = again.receive(5000);
        eq("c3", text(third), "redelivered third (not acknowledged)");
        again.close();
        s2.close();
        Session s3 = c.createSession(false, Session.CLIENT_ACKNOWLEDGE);
        MessageConsumer last = s3.createConsumer(q);
        eq(Arrays.asList("c3"), drain(last, 5000), "only the unacknowledged one");
        last.receive(100);
        s3.recover();
        c.close();
        Connection check = connect(null);
        Session cs = check.createSession(false, Session.AUTO_ACKNOWLEDGE);
        eq(Arrays.asList("c3"), drain(cs.createConsumer(q), 5000), "c3 still there after close");
        check.close();
    }

    static void ackDupsOk() throws Exception {
        Connection c = connect(null);
        Session s = c.createSession(false, Session.DUPS_OK_ACKNOWLEDGE);
        Queue q = s.createQueue(name("dupsok"));
        String[] texts = new String[20];
        for (int i = 0; i < texts.length; i++) texts[i] = "d" + i;
        sendTexts(s, q, texts);
        MessageConsumer consumer = s.createConsumer(q);
        eq(20, drain(consumer, 5000).size(), "received");
        c.close();
        Connection again = connect(null);
        Session s2 = again.createSession(false, Session.AUTO_ACKNOWLEDGE);
        eq(null, s2.createConsumer(q).receive(500), "DUPS_OK messages came back");
        again.close();
    }

    /** ActiveMQ's INDIVIDUAL_ACKNOWLEDGE: only the acknowledged message is consumed. */
    static void ackIndividual() throws Exception {
        Connection c = connect(null);
        Session s = c.createSession(false, ActiveMQSession.INDIVIDUAL_ACKNOWLEDGE);
        Queue q = s.createQueue(name("individual"));
        sendTexts(s, q, "i1", "i2", "i3");
        MessageConsumer consumer = s.createConsumer(q);
        Message m1 = consumer.receive(5000);
        Message m2 = consumer.receive(5000);
        Message m3 = consumer.receive(5000);
        eq("i2", text(m2), "second");
        m2.acknowledge();
        check(m1 != null && m3 != null, "all three");
        c.close();
        Connection again = connect(null);
        Session s2 = again.createSession(false, Session.AUTO_ACKNOWLEDGE);
        eq(Arrays.asList("i1", "i3"), drain(s2.createConsumer(q), 5000), "the unacknowledged ones");
        again.close();
    }

    /** Transacted sends and receives: commit, rollback, redelivery flag and count. */
    static void transactions() throws Exception {
        Connection c = connect(null);
        Session tx = c.createSession(true, Session.SESSION_TRANSACTED);
        Queue q = tx.createQueue(name("tx"));
        MessageProducer p = tx.createProducer(q);
        p.send(tx.createTextMessage("t1"));
        p.send(tx.createTextMessage("t2"));
        Session plain = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
        MessageConsumer watcher = plain.createConsumer(q);
        eq(null, watcher.receive(300), "uncommitted send visible");
        tx.commit();
        eq(Arrays.asList("t1", "t2"), drain(watcher, 5000), "committed sends");
        p.send(tx.createTextMessage("rolled-back"));
        tx.rollback();
        eq(null, watcher.receive(300), "rolled-back send delivered");
        watcher.close();

        sendTexts(plain, q, "r1");
        MessageConsumer consumer = tx.createConsumer(q);
        Message first = consumer.receive(5000);
        eq("r1", text(first), "transacted receive");
        eq(false, first.getJMSRedelivered(), "first JMSRedelivered");
        tx.rollback();
        Message again = consumer.receive(5000);
        eq("r1", text(again), "redelivered after rollback");
        eq(true, again.getJMSRedelivered(), "JMSRedelivered after rollback");
        eq(2, again.getIntProperty("JMSXDeliveryCount"), "JMSXDeliveryCount after rollback");
        tx.commit();
        consumer.close();
        MessageConsumer after = plain.createConsumer(q);
        eq(null, after.receive(500), "committed receive came back");
        c.close();
    }

    /** A message rolled back past maximumRedeliveries goes to ActiveMQ.DLQ (POISON ack). */
    static void deadLetter() throws Exception {
        ActiveMQConnectionFactory f = factory();
        RedeliveryPolicy policy = new RedeliveryPolicy();
        policy.setMaximumRedeliveries(1);
        policy.setInitialRedeliveryDelay(0);
        policy.setRedeliveryDelay(0);
        f.setRedeliveryPolicy(policy);
        Connection c = f.createConnection();
        c.start();
        Session tx = c.createSession(true, Session.SESSION_TRANSACTED);
        Queue q = tx.createQueue(name("poison"));
        Session plain = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
        TextMessage poison = plain.createTextMessage("poison");
        poison.setStringProperty("marker", RUN);
        plain.createProducer(q).send(poison);
        MessageConsumer consumer = tx.createConsumer(q);
        eq("poison", text(consumer.receive(5000)), "first delivery");
        tx.rollback();
        eq("poison", text(consumer.receive(5000)), "second delivery");
        tx.rollback();
        eq(null, consumer.receive(1000), "delivered past the maximum");
        consumer.close();
        MessageConsumer dlq = plain.createConsumer(plain.createQueue("ActiveMQ.DLQ"), "marker = '" + RUN + "'");
        Message dead = dlq.receive(5000);
        check(dead != null, "nothing in ActiveMQ.DLQ");
        eq("poison", text(dead), "dead-lettered text");
        c.close();
    }

    /** Durable subscriber with a selector: away, back, unsubscribe. */
    static void durable() throws Exception {
        String clientId = "durable-" + RUN;
        Connection c = connect(clientId);
        Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
        Topic t = s.createTopic(name("durable"));
        TopicSubscriber sub = s.createDurableSubscriber(t, "sub1", "color = 'red'", false);
        MessageProducer p = s.createProducer(t);
        TextMessage red = s.createTextMessage("red-1");
        red.setStringProperty("color", "red");
        p.send(red);
        eq("red-1", text(sub.receive(5000)), "online");
        sub.close();
        TextMessage away = s.createTextMessage("red-2");
        away.setStringProperty("color", "red");
        p.send(away);
        TextMessage blue = s.createTextMessage("blue");
        blue.setStringProperty("color", "blue");
        p.send(blue);
        c.close();

        Connection back = connect(clientId);
        Session bs = back.createSession(false, Session.AUTO_ACKNOWLEDGE);
        TopicSubscriber again = bs.createDurableSubscriber(t, "sub1", "color = 'red'", false);
        eq(Arrays.asList("red-2"), drain(again, 5000), "stored while away");
        again.close();
        bs.unsubscribe("sub1");
        try {
            bs.unsubscribe("sub1");
            throw new AssertionError("second unsubscribe succeeded");
        } catch (InvalidDestinationException expected) {
            check(expected.getMessage().contains("sub1"), "message " + expected.getMessage());
        }
        back.close();
    }

    static void selectors() throws Exception {
        Connection c = connect(null);
        Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
        Queue q = s.createQueue(name("selector"));
        MessageProducer p = s.createProducer(q);
        for (int i = 0; i < 6; i++) {
            TextMessage m = s.createTextMessage("m" + i);
            m.setStringProperty("kind", i % 2 == 0 ? "even" : "odd");
            m.setIntProperty("n", i);
            p.send(m);
        }
        MessageConsumer even = s.createConsumer(q, "kind = 'even' AND n > 0");
        eq(Arrays.asList("m2", "m4"), drain(even, 5000), "selected");
        MessageConsumer byType = s.createConsumer(q, "JMSPriority = 4 AND (n = 1 OR n = 5)");
        eq(Arrays.asList("m1", "m5"), drain(byType, 5000), "header selector");
        try {
            s.createConsumer(q, "kind = = 'x'");
            throw new AssertionError("bad selector accepted");
        } catch (InvalidSelectorException expected) {
            // as ActiveMQ
        }
        c.close();
    }

    /** QueueBrowser: sees what waits, in order, with a selector; takes nothing away. */
    static void browser() throws Exception {
        Connection c = connect(null);
        Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
        Queue q = s.createQueue(name("browse"));
        MessageProducer p = s.createProducer(q);
        for (int i = 0; i < 5; i++) {
            TextMessage m = s.createTextMessage("m" + i);
            m.setIntProperty("n", i);
            p.send(m);
        }
        for (int round = 0; round < 2; round++) {
            eq(Arrays.asList("m0", "m1", "m2", "m3", "m4"), browse(s.createBrowser(q)), "browsed, round " + round);
        }
        eq(Arrays.asList("m1", "m3"), browse(s.createBrowser(q, "n = 1 OR n = 3")), "browsed with a selector");
        eq(Arrays.asList(), browse(s.createBrowser(s.createQueue(name("browse.none")))), "an unknown queue browses empty");
        eq(Arrays.asList("m0", "m1", "m2", "m3", "m4"), drain(s.createConsumer(q), 5000), "all still there for a consumer");
        c.close();
    }

    /** Destination options consumer.exclusive and consumer.priority, as ActiveMQ reads them. */
    static void consumerOptions() throws Exception {
        Connection c = connect(null);
        Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
        String excl = name("exclusive");
        MessageConsumer plain = s.createConsumer(s.createQueue(excl));
        MessageConsumer owner = s.createConsumer(s.createQueue(excl + "?consumer.exclusive=true"));
        MessageConsumer standby = s.createConsumer(s.createQueue(excl + "?consumer.exclusive=true"));
        sendTexts(s, s.createQueue(excl), "e0", "e1", "e2");
        eq(Arrays.asList("e0", "e1", "e2"), drain(owner, 5000), "all to the exclusive consumer");
        check(plain.receive(300) == null && standby.receive(300) == null, "nothing to the others");
        owner.close();
        sendTexts(s, s.createQueue(excl), "e3");
        eq(Arrays.asList("e3"), drain(standby, 5000), "the next exclusive consumer takes over");
        check(plain.receive(300) == null, "still nothing to the plain consumer");
        String prio = name("priority");
        MessageConsumer low = s.createConsumer(s.createQueue(prio + "?consumer.priority=1"));
        MessageConsumer high = s.createConsumer(s.createQueue(prio + "?consumer.priority=9"));
        sendTexts(s, s.createQueue(prio), "p0", "p1", "p2", "p3");
        eq(Arrays.asList("p0", "p1", "p2", "p3"), drain(high, 5000), "all to the higher priority");
        check(low.receive(300) == null, "nothing to the lower priority while the higher one has room");
        c.close();
    }

    /** ActiveMQ's scheduled delivery: AMQ_SCHEDULED_DELAY holds a message back, _PERIOD and _REPEAT repeat it. */
    static void scheduled() throws Exception {
        Connection c = connect(null);
        Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
        Queue q = s.createQueue(name("scheduled"));
        MessageProducer p = s.createProducer(q);
        TextMessage later = s.createTextMessage("later");
        later.setLongProperty("AMQ_SCHEDULED_DELAY", 1500);
        long sent = System.currentTimeMillis();
        p.send(later);
        p.send(s.createTextMessage("now"));
        MessageConsumer consumer = s.createConsumer(q);
        eq("now", text(consumer.receive(5000)), "the undelayed message first");
        check(consumer.receive(500) == null, "the delayed message is held back");
        eq("later", text(consumer.receive(5000)), "the delayed message");
        check(System.currentTimeMillis() - sent >= 1450, "held back for its delay");
        // Delivered once after the delay, then twice more a period apart, each with its own id
        // (the client would poison-ack a message id it has seen).
        TextMessage tick = s.createTextMessage("tick");
        tick.setLongProperty("AMQ_SCHEDULED_DELAY", 300);
        tick.setLongProperty("AMQ_SCHEDULED_PERIOD", 300);
        tick.setIntProperty("AMQ_SCHEDULED_REPEAT", 2);
        long ticked = System.currentTimeMillis();
        p.send(tick);
        java.util.Set<String> ids = new java.util.HashSet<>();
        for (int i = 0; i < 3; i++) {
            Message m = consumer.receive(5000);
            eq("tick", text(m), "repeat " + i);
            ids.add(m.getJMSMessageID());
        }
        check(System.currentTimeMillis() - ticked >= 850, "repeats a period apart");
        eq(3, ids.size(), "each repeat has its own message id");
        check(consumer.receive(700) == null, "no more than AMQ_SCHEDULED_REPEAT repeats");
        c.close();
    }

    /** Request/reply over a temporary queue between two connections (needs the temp advisories). */
    static void requestReply() throws Exception {
        Connection server = connect(null);
        Session ss = server.createSession(false, Session.AUTO_ACKNOWLEDGE);
        Queue requests = ss.createQueue(name("requests"));
        MessageConsumer serverIn = ss.createConsumer(requests);
        MessageProducer serverOut = ss.createProducer(null);
        serverIn.setMessageListener(m -> {
            try {
                TextMessage answer = ss.createTextMessage("re: " + ((TextMessage) m).getText());
                answer.setJMSCorrelationID(m.getJMSCorrelationID());
                serverOut.send(m.getJMSReplyTo(), answer);
            } catch (JMSException e) {
                e.printStackTrace();
            }
        });

        Connection client = connect(null);
        Session cs = client.createSession(false, Session.AUTO_ACKNOWLEDGE);
        TemporaryQueue replies = cs.createTemporaryQueue();
        MessageConsumer replyIn = cs.createConsumer(replies);
        MessageProducer requestOut = cs.createProducer(requests);
        for (int i = 0; i < 3; i++) {
            TextMessage req = cs.createTextMessage("q" + i);
            req.setJMSReplyTo(replies);
            req.setJMSCorrelationID("c" + i);
            requestOut.send(req);
            Message answer = replyIn.receive(5000);
            eq("re: q" + i, text(answer), "reply");
            eq("c" + i, answer.getJMSCorrelationID(), "reply correlation");
        }
        TemporaryTopic tt = cs.createTemporaryTopic();
        MessageConsumer ttIn = cs.createConsumer(tt);
        cs.createProducer(tt).send(cs.createTextMessage("on temp topic"));
        eq("on temp topic", text(ttIn.receive(5000)), "temp topic");
        ttIn.close();
        tt.delete();
        replyIn.close();
        replies.delete();
        // The server must learn (advisory) that the queue is gone.
        Thread.sleep(300);
        check(((ActiveMQConnection) server).isDeleted((org.apache.activemq.command.ActiveMQDestination) replies), "server did not hear of the delete");
        client.close();
        server.close();
    }

    static void expiration() throws Exception {
        Connection c = connect(null);
        Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
        Queue q = s.createQueue(name("expiry"));
        MessageProducer p = s.createProducer(q);
        p.setTimeToLive(200);
        p.send(s.createTextMessage("short-lived"));
        p.setTimeToLive(0);
        p.send(s.createTextMessage("forever"));
        Thread.sleep(600);
        MessageConsumer consumer = s.createConsumer(q);
        Message m = consumer.receive(5000);
        eq("forever", text(m), "only the unexpired message");
        eq(0L, m.getJMSExpiration(), "no expiration");
        eq(null, consumer.receive(300), "expired message delivered");
        c.close();
    }

    static void priority() throws Exception {
        Connection c = connect(null);
        Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
        Queue q = s.createQueue(name("priority"));
        MessageProducer p = s.createProducer(q);
        for (int i = 0; i < 3; i++) p.send(s.createTextMessage("low" + i), DeliveryMode.PERSISTENT, 1, 0);
        for (int i = 0; i < 3; i++) p.send(s.createTextMessage("high" + i), DeliveryMode.PERSISTENT, 9, 0);
        MessageConsumer consumer = s.createConsumer(q);
        List<String> got = drain(consumer, 5000);
        eq(Arrays.asList("high0", "high1", "high2", "low0", "low1", "low2"), got, "priority order");
        c.close();
    }

    /** Async (useAsyncSend) and sync persistent sends, non-persistent sends: nothing lost. */
    static void asyncSends() throws Exception {
        ActiveMQConnectionFactory f = factory();
        f.setUseAsyncSend(true);
        Connection c = f.createConnection();
        c.start();
        Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
        Queue q = s.createQueue(name("async"));
        MessageProducer p = s.createProducer(q);
        for (int i = 0; i < 500; i++) p.send(s.createTextMessage("a" + i));
        p.setDeliveryMode(DeliveryMode.NON_PERSISTENT);
        for (int i = 0; i < 500; i++) p.send(s.createTextMessage("n" + i));
        Connection sync = connect(null);
        Session ss = sync.createSession(false, Session.AUTO_ACKNOWLEDGE);
        MessageProducer sp = ss.createProducer(q);
        for (int i = 0; i < 100; i++) sp.send(ss.createTextMessage("s" + i));
        MessageConsumer consumer = s.createConsumer(q);
        Set<String> seen = new HashSet<>(drain(consumer, 5000));
        eq(1100, seen.size(), "distinct messages received");
        sync.close();
        c.close();
    }

    /** Prefetch 0: MessagePull with timeouts, receiveNoWait, null dispatch on timeout. */
    static void prefetchZero() throws Exception {
        ActiveMQConnectionFactory f = factory();
        f.getPrefetchPolicy().setAll(0);
        Connection c = f.createConnection();
        c.start();
        Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
        Queue q = s.createQueue(name("pull"));
        MessageConsumer consumer = s.createConsumer(q);
        eq(null, consumer.receiveNoWait(), "receiveNoWait on empty");
        long t0 = System.currentTimeMillis();
        eq(null, consumer.receive(400), "receive(400) on empty");
        check(System.currentTimeMillis() - t0 >= 300, "receive(400) returned too early");
        MessageConsumer other = s.createConsumer(q);
        sendTexts(s, q, "p1", "p2", "p3");
        eq("p1", text(consumer.receive(5000)), "pull 1");
        eq("p2", text(other.receive(5000)), "other consumer gets the next (nothing prefetched)");
        eq("p3", text(consumer.receive(5000)), "pull 3");
        Thread t = new Thread(() -> {
            try {
                Thread.sleep(300);
                Connection late = connect(null);
                Session ls = late.createSession(false, Session.AUTO_ACKNOWLEDGE);
                sendTexts(ls, q, "late");
                late.close();
            } catch (Exception e) {
                e.printStackTrace();
            }
        });
        t.start();
        eq("late", text(consumer.receive()), "receive() waits for a message");
        t.join();
        c.close();
    }

    /** A producer window: async sends block until ProducerAcks free the window. */
    static void producerWindow() throws Exception {
        ActiveMQConnectionFactory f = factory();
        f.setProducerWindowSize(8 * 1024);
        f.setUseAsyncSend(true);
        Connection c = f.createConnection();
        c.start();
        Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
        Queue q = s.createQueue(name("window"));
        MessageProducer p = s.createProducer(q);
        char[] kb = new char[1000];
        Arrays.fill(kb, 'w');
        for (int i = 0; i < 300; i++) p.send(s.createTextMessage(new String(kb)));
        MessageConsumer consumer = s.createConsumer(q);
        int n = 0;
        while (consumer.receive(n == 0 ? 5000 : 500) != null) n++;
        eq(300, n, "received");
        c.close();
    }

    static void clientId() throws Exception {
        String id = "cid-" + RUN;
        Connection first = connect(id);
        Connection second = factory().createConnection();
        try {
            // The 5.17 client sends its ConnectionInfo as soon as the client id is set.
            second.setClientID(id);
            second.start();
            second.createSession(false, Session.AUTO_ACKNOWLEDGE);
            throw new AssertionError("a second connection with the same client id was accepted");
        } catch (InvalidClientIDException expected) {
            // as ActiveMQ
        } finally {
            try { second.close(); } catch (JMSException ignored) { }
        }
        first.close();
        Connection third = connect(id);
        Session s = third.createSession(false, Session.AUTO_ACKNOWLEDGE);
        s.createConsumer(s.createQueue(name("cid"))).close();
        third.close();
    }

    static void largeMessage() throws Exception {
        Connection c = connect(null);
        Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
        Queue q = s.createQueue(name("large"));
        byte[] body = new byte[3 * 1024 * 1024];
        for (int i = 0; i < body.length; i++) body[i] = (byte) (i * 31);
        BytesMessage m = s.createBytesMessage();
        m.writeBytes(body);
        s.createProducer(q).send(m);
        BytesMessage r = (BytesMessage) s.createConsumer(q).receive(10000);
        byte[] got = new byte[(int) r.getBodyLength()];
        r.readBytes(got);
        check(Arrays.equals(body, got), "3 MiB body differs");
        c.close();
    }

    static void compression() throws Exception {
        ActiveMQConnectionFactory f = factory();
        f.setUseCompression(true);
        Connection c = f.createConnection();
        c.start();
        Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
        Queue q = s.createQueue(name("compressed"));
        char[] chars = new char[5000];
        Arrays.fill(chars, 'z');
        String big = new String(chars);
        MessageProducer p = s.createProducer(q);
        p.send(s.createTextMessage(big));
        BytesMessage b = s.createBytesMessage();
        b.writeBytes(big.getBytes("UTF-8"));
        p.send(b);
        MapMessage mm = s.createMapMessage();
        mm.setString("big", big);
        p.send(mm);
        Connection plain = connect(null);
        Session ps = plain.createSession(false, Session.AUTO_ACKNOWLEDGE);
        MessageConsumer consumer = ps.createConsumer(q, "JMSType IS NULL");
        eq(big, text(consumer.receive(5000)), "compressed text");
        BytesMessage rb = (BytesMessage) consumer.receive(5000);
        eq(5000L, rb.getBodyLength(), "compressed bytes length");
        eq(big, ((MapMessage) consumer.receive(5000)).getString("big"), "compressed map");
        plain.close();
        c.close();
    }

    /**
     * A failed oneway (async) send reaches the ExceptionListener as a ConnectionError and the
     * connection stays usable; a failed send inside a transaction makes its commit fail.
     */
    static void onewayErrors() throws Exception {
        ActiveMQConnectionFactory f = factory();
        f.setUseAsyncSend(true);
        Connection c = f.createConnection();
        final List<JMSException> errors = new ArrayList<>();
        c.setExceptionListener(e -> { synchronized (errors) { errors.add(e); errors.notifyAll(); } });
        c.start();
        Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
        s.createProducer(s.createQueue(name("bad") + ".*")).send(s.createTextMessage("to a wildcard queue"));
        synchronized (errors) {
            long deadline = System.currentTimeMillis() + 5000;
            while (errors.isEmpty() && System.currentTimeMillis() < deadline) errors.wait(100);
        }
        check(!errors.isEmpty(), "no ConnectionError for the failed async send");
        check(errors.get(0) instanceof InvalidDestinationException, "error " + errors.get(0));
        Queue ok = s.createQueue(name("still-fine"));
        sendTexts(s, ok, "fine");
        eq("fine", text(s.createConsumer(ok).receive(5000)), "after the error");
        Session tx = c.createSession(true, Session.SESSION_TRANSACTED);
        tx.createProducer(tx.createQueue(name("bad-tx") + ".>")).send(tx.createTextMessage("doomed"));
        try {
            tx.commit();
            throw new AssertionError("commit after a failed transacted send succeeded");
        } catch (TransactionRolledBackException expected) {
            // as ActiveMQ
        }
        c.close();
    }

    /** auth <user> <good password> <bad password>: the good one connects, the bad one and none get JMSSecurityException. */
    static void auth(String[] args) throws Exception {
        Connection good = factory().createConnection(args[0], args[1]);
        good.start();
        Session s = good.createSession(false, Session.AUTO_ACKNOWLEDGE);
        Queue q = s.createQueue(name("auth"));
        sendTexts(s, q, "authenticated");
        eq("authenticated", text(s.createConsumer(q).receive(5000)), "as a configured user");
        good.close();
        for (String[] creds : new String[][] {{args[0], args[2]}, {null, null}}) {
            Connection bad = factory().createConnection(creds[0], creds[1]);
            try {
                bad.start();
                bad.createSession(false, Session.AUTO_ACKNOWLEDGE);
                throw new AssertionError("connected with " + Arrays.toString(creds));
            } catch (JMSSecurityException expected) {
                // as ActiveMQ
            } finally {
                try { bad.close(); } catch (JMSException ignored) { }
            }
        }
    }

    /** Idle with a short inactivity timeout: both sides' KeepAliveInfo keep the connection up. */
    static void keepalive() throws Exception {
        Connection c = connect(null);
        final boolean[] failed = {false};
        c.setExceptionListener(e -> failed[0] = true);
        Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
        Queue q = s.createQueue(name("keepalive"));
        Thread.sleep(Long.getLong("idle.ms", 4000L));
        sendTexts(s, q, "still here");
        eq("still here", text(s.createConsumer(q).receive(5000)), "after idling");
        check(!failed[0], "the connection failed while idle");
        c.close();
    }

    /** send <queue> <count>: persistent text messages "0".."count-1". */
    static void sendOnly(String[] args) throws Exception {
        Connection c = connect(null);
        Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
        MessageProducer p = s.createProducer(s.createQueue(args[0]));
        int n = Integer.parseInt(args[1]);
        for (int i = 0; i < n; i++) p.send(s.createTextMessage(Integer.toString(i)));
        c.close();
    }

    /** send-rich <queue>: a TextMessage with headers and typed properties, then a 3-byte BytesMessage. */
    static void sendRich(String[] args) throws Exception {
        Connection c = connect(null);
        Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
        MessageProducer p = s.createProducer(s.createQueue(args[0]));
        TextMessage t = s.createTextMessage("hello from jms ü");
        t.setJMSCorrelationID("c-1");
        t.setJMSType("t-1");
        t.setStringProperty("str", "s");
        t.setIntProperty("num", 42);
        t.setBooleanProperty("flag", true);
        p.send(t);
        BytesMessage b = s.createBytesMessage();
        b.writeBytes(new byte[] {1, 2, 3});
        p.send(b);
        c.close();
    }

    /** receive <queue> <count>: prints each message on its own line: GOT <class> text= corr= type= props. */
    static void receiveOnly(String[] args) throws Exception {
        Connection c = connect(null);
        Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
        MessageConsumer consumer = s.createConsumer(s.createQueue(args[0]));
        int n = Integer.parseInt(args[1]);
        for (int i = 0; i < n; i++) {
            Message m = consumer.receive(5000);
            check(m != null, "only " + i + " of " + n);
            StringBuilder line = new StringBuilder("GOT ").append(m.getClass().getSimpleName());
            if (m instanceof TextMessage) line.append(" text=").append(((TextMessage) m).getText());
            if (m instanceof BytesMessage) line.append(" bytes=").append(((BytesMessage) m).getBodyLength());
            line.append(" corr=").append(m.getJMSCorrelationID()).append(" type=").append(m.getJMSType());
            List<String> names = new ArrayList<>();
            for (Enumeration<?> e = m.getPropertyNames(); e.hasMoreElements(); ) names.add((String) e.nextElement());
            names.sort(null);
            for (String p : names) {
                Object v = m.getObjectProperty(p);
                line.append(' ').append(p).append('=').append(v).append(':').append(v == null ? "null" : v.getClass().getSimpleName());
            }
            System.out.println(line);
        }
        c.close();
    }

    /**
     * Under a failover: URI: state before, "KILL" printed, the test drops every TCP connection,
     * then an open transaction, a consumer, a temp queue and a durable subscription carry on.
     */
    static void failover() throws Exception {
        String clientId = "failover-" + RUN;
        Connection c = connect(clientId);
        final boolean[] interrupted = {false};
        final boolean[] resumed = {false};
        ((ActiveMQConnection) c).addTransportListener(new org.apache.activemq.transport.TransportListener() {
            public void onCommand(Object command) { }
            public void onException(java.io.IOException error) { }
            public void transportInterupted() { interrupted[0] = true; }
            public void transportResumed() { resumed[0] = true; }
        });
        Session plain = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
        Session tx = c.createSession(true, Session.SESSION_TRANSACTED);
        Queue q = plain.createQueue(name("failover"));
        Topic t = plain.createTopic(name("failover.topic"));
        MessageConsumer consumer = plain.createConsumer(q);
        TopicSubscriber durable = plain.createDurableSubscriber(t, "fsub");
        TemporaryQueue temp = plain.createTemporaryQueue();
        MessageConsumer tempIn = plain.createConsumer(temp);
        MessageProducer p = plain.createProducer(q);
        MessageProducer txp = tx.createProducer(q);
        p.send(plain.createTextMessage("before"));
        eq("before", text(consumer.receive(5000)), "before the drop");
        txp.send(tx.createTextMessage("tx-1"));
        System.out.println("KILL");
        System.out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        eq("KILLED", in.readLine(), "test signal");
        txp.send(tx.createTextMessage("tx-2"));
        p.send(plain.createTextMessage("after"));
        plain.createProducer(t).send(plain.createTextMessage("topic-after"));
        plain.createProducer(temp).send(plain.createTextMessage("temp-after"));
        tx.commit();
        List<String> got = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Message m = consumer.receive(10000);
            check(m != null, "only " + got + " after the reconnect");
            got.add(text(m));
        }
        got.sort(null);
        eq(Arrays.asList("after", "tx-1", "tx-2"), got, "queue after the reconnect");
        eq(null, consumer.receive(500), "a duplicate");
        eq("topic-after", text(durable.receive(5000)), "durable subscription after the reconnect");
        eq("temp-after", text(tempIn.receive(5000)), "temp queue after the reconnect");
        check(interrupted[0] && resumed[0], "the transport was not interrupted and resumed");
        c.close();
    }
}
