import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import javax.jms.*;
import org.apache.activemq.ActiveMQConnection;
import org.apache.activemq.ActiveMQConnectionFactory;
import org.apache.activemq.transport.TransportListener;
import org.apache.activemq.transport.failover.FailoverTransport;

/**
 * java OpenWireFailover <failoverUri> <queue> <warmupAcked> <afterAcked> <transacted|client>
 *
 * A producer (own connection, synchronous persistent sends: send() returning = acknowledged) and
 * a consumer (own connection; a transacted session committing, or CLIENT_ACKNOWLEDGE acknowledging,
 * every few messages) on one queue.
 * After <warmupAcked> acknowledged sends it prints "KILL" and reads "KILLED" from stdin (the test
 * has SIGKILLed the active broker); the producer carries on until <afterAcked> more sends were
 * acknowledged, the consumer until every acknowledged id arrived or nothing came for a while.
 * Prints one line "RESULT {json}" and exits 0; a watchdog prints the state so far and exits 2.
 */
public class OpenWireFailover {
    static final int SETTLE_EVERY = 10;
    static final long QUIET_MS = 8000;

    static final List<Integer> acked = new ArrayList<>();
    static final List<String> sendErrors = new ArrayList<>();
    static final Map<Integer, Integer> deliveries = new HashMap<>();
    static final List<String> settleErrors = new ArrayList<>();
    static final AtomicInteger settled = new AtomicInteger();
    static final AtomicInteger redelivered = new AtomicInteger();
    static volatile int sent;
    static volatile int ackedBeforeKill = -1;
    static volatile long killedAtMs;
    static volatile long firstAckAfterKillMs = -1;
    static final Map<String, int[]> transport = new HashMap<>();
    static final Map<String, String> connectedTo = new HashMap<>();

    public static void main(String[] args) throws Exception {
        String uri = args[0];
        String queue = args[1];
        int warmup = Integer.parseInt(args[2]);
        int after = Integer.parseInt(args[3]);
        boolean transacted = args[4].equals("transacted");
        Thread watchdog = new Thread(() -> {
            try { Thread.sleep(Long.getLong("timeoutMs", 70000L)); } catch (InterruptedException e) { return; }
            System.out.println("TIMEOUT " + summary());
            System.out.flush();
            Runtime.getRuntime().halt(2);
        });
        watchdog.setDaemon(true);
        watchdog.start();

        ActiveMQConnectionFactory factory = new ActiveMQConnectionFactory(uri);
        ActiveMQConnection pc = watched((ActiveMQConnection) factory.createConnection(), "producer");
        ActiveMQConnection cc = watched((ActiveMQConnection) factory.createConnection(), "consumer");
        pc.start();
        cc.start();
        Session ps = pc.createSession(false, Session.AUTO_ACKNOWLEDGE);
        MessageProducer producer = ps.createProducer(ps.createQueue(queue));
        producer.setDeliveryMode(DeliveryMode.PERSISTENT);
        Session cs = transacted ? cc.createSession(true, Session.SESSION_TRANSACTED) : cc.createSession(false, Session.CLIENT_ACKNOWLEDGE);
        MessageConsumer consumer = cs.createConsumer(cs.createQueue(queue));

        CountDownLatch warmedUp = new CountDownLatch(1);
        CountDownLatch killed = new CountDownLatch(1);
        Thread producing = new Thread(() -> {
            try {
                for (int id = 0; ; id++) {
                    if (killed.getCount() == 0 && ackedCount() - ackedBeforeKill >= after) break;
                    TextMessage m = ps.createTextMessage("m-" + id);
                    m.setIntProperty("id", id);
                    sent = id + 1;
                    try {
                        producer.send(m);
                    } catch (JMSException e) {
                        synchronized (sendErrors) { sendErrors.add(id + ": " + e); }
                        continue;
                    }
                    synchronized (acked) { acked.add(id); }
                    if (killed.getCount() == 0 && firstAckAfterKillMs < 0) firstAckAfterKillMs = System.currentTimeMillis() - killedAtMs;
                    if (ackedCount() == warmup) warmedUp.countDown();
                }
            } catch (Throwable t) {
                synchronized (sendErrors) { sendErrors.add("producer: " + t); }
                warmedUp.countDown();
            }
        }, "producer");
        producing.start();

        Thread consuming = new Thread(() -> consume(cs, consumer, producing), "consumer");
        consuming.start();

        warmedUp.await();
        ackedBeforeKill = ackedCount();
        System.out.println("KILL");
        System.out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        String line = in.readLine();
        if (!"KILLED".equals(line)) throw new java.lang.IllegalStateException("expected KILLED on stdin, got " + line);
        killedAtMs = System.currentTimeMillis();
        killed.countDown();

        producing.join();
        consuming.join();
        connectedTo.put("producer", String.valueOf(pc.getTransport().narrow(FailoverTransport.class).getConnectedTransportURI()));
        connectedTo.put("consumer", String.valueOf(cc.getTransport().narrow(FailoverTransport.class).getConnectedTransportURI()));
        System.out.println("RESULT " + summary());
        System.out.flush();
        pc.close();
        cc.close();
        System.exit(0);
    }

    /** Commits the transacted session, or acknowledges the client-acknowledge one up to `last`. */
    static void settle(Session cs, Message last) throws JMSException {
        if (cs.getTransacted()) cs.commit();
        else last.acknowledge();
        settled.incrementAndGet();
    }

    /** Receives and settles until the producer is done and every acknowledged id arrived, or nothing came for QUIET_MS. */
    static void consume(Session cs, MessageConsumer consumer, Thread producing) {
        int unsettled = 0;
        Message last = null;
        long lastMessage = System.currentTimeMillis();
        for (;;) {
            Message m;
            try {
                m = consumer.receive(200);
                if (m != null) {
                    int id = m.getIntProperty("id");
                    synchronized (deliveries) { deliveries.merge(id, 1, Integer::sum); }
                    if (m.getJMSRedelivered()) redelivered.incrementAndGet();
                    unsettled++;
                    last = m;
                    lastMessage = System.currentTimeMillis();
                }
                if (unsettled >= SETTLE_EVERY || (m == null && unsettled > 0)) {
                    unsettled = 0;
                    settle(cs, last);
                }
            } catch (JMSException e) {
                // A commit in doubt across the failover is rolled back by the client: redelivery follows.
                synchronized (settleErrors) { settleErrors.add(e.getClass().getSimpleName() + ": " + e.getMessage()); }
                unsettled = 0;
                continue;
            }
            if (!producing.isAlive() && (allArrived() || System.currentTimeMillis() - lastMessage > QUIET_MS)) {
                if (unsettled == 0) return;
                try {
                    settle(cs, last);
                    return;
                } catch (JMSException e) {
                    synchronized (settleErrors) { settleErrors.add(e.getClass().getSimpleName() + ": " + e.getMessage()); }
                    unsettled = 0;
                }
            }
        }
    }

    static ActiveMQConnection watched(ActiveMQConnection c, String name) {
        int[] counts = new int[2];
        transport.put(name, counts);
        c.addTransportListener(new TransportListener() {
            public void onCommand(Object command) { }
            public void onException(java.io.IOException error) { }
            public void transportInterupted() { counts[0]++; }
            public void transportResumed() { counts[1]++; }
        });
        return c;
    }

    static int ackedCount() {
        synchronized (acked) { return acked.size(); }
    }

    static boolean allArrived() {
        synchronized (acked) {
            synchronized (deliveries) {
                for (int id : acked) if (!deliveries.containsKey(id)) return false;
                return true;
            }
        }
    }

    static String summary() {
        StringBuilder s = new StringBuilder();
        synchronized (acked) {
            synchronized (deliveries) {
                List<Integer> lost = new ArrayList<>();
                for (int id : acked) if (!deliveries.containsKey(id)) lost.add(id);
                List<Integer> dups = new ArrayList<>();
                int total = 0;
                for (Map.Entry<Integer, Integer> e : deliveries.entrySet()) {
                    total += e.getValue();
                    if (e.getValue() > 1) dups.add(e.getKey());
                }
                dups.sort(null);
                List<Integer> unexpected = new ArrayList<>();
                for (int id : deliveries.keySet()) if (!acked.contains(id)) unexpected.add(id);
                unexpected.sort(null);
                s.append('{');
                s.append("\"sent\":").append(sent);
                s.append(",\"acked\":").append(acked.size());
                s.append(",\"ackedBeforeKill\":").append(ackedBeforeKill);
                s.append(",\"firstAckAfterKillMs\":").append(firstAckAfterKillMs);
                s.append(",\"received\":").append(deliveries.size());
                s.append(",\"deliveries\":").append(total);
                s.append(",\"redelivered\":").append(redelivered.get());
                s.append(",\"lost\":").append(lost);
                s.append(",\"duplicates\":").append(dups);
                s.append(",\"unacknowledgedReceived\":").append(unexpected);
                s.append(",\"settled\":").append(settled.get());
            }
        }
        synchronized (settleErrors) { s.append(",\"settleErrors\":").append(strings(settleErrors)); }
        synchronized (sendErrors) { s.append(",\"sendErrors\":").append(strings(sendErrors)); }
        s.append(",\"transport\":{");
        boolean first = true;
        for (Map.Entry<String, int[]> e : transport.entrySet()) {
            if (!first) s.append(',');
            first = false;
            s.append('"').append(e.getKey()).append("\":{\"interrupted\":").append(e.getValue()[0]).append(",\"resumed\":").append(e.getValue()[1]).append('}');
        }
        s.append("},\"connectedTo\":").append(strings(new ArrayList<>(List.of(
            connectedTo.getOrDefault("producer", ""), connectedTo.getOrDefault("consumer", "")))));
        return s.append('}').toString();
    }

    static String strings(List<String> items) {
        StringBuilder s = new StringBuilder("[");
        for (int i = 0; i < items.size(); i++) {
            if (i > 0) s.append(',');
            s.append('"').append(items.get(i).replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", " ")).append('"');
        }
        return s.append(']').toString();
    }
}
