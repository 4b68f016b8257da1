import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import javax.jms.*;
import org.apache.activemq.ActiveMQConnectionFactory;

/**
 * The openwire-queue bench load, with ActiveMQ's own client: producers send persistent
 * messages to a queue, one AUTO_ACKNOWLEDGE consumer receives them.
 * java JmsBench <brokerUri> <queue> <messages> <bodyBytes> <producers> <async:true|false>
 * Prints one JSON line: messages, seconds, msgPerSec, p50Ms, p99Ms.
 */
public class JmsBench {
    public static void main(String[] args) throws Exception {
        String uri = args[0];
        String queueName = args[1];
        int messages = Integer.parseInt(args[2]);
        int bodyBytes = Integer.parseInt(args[3]);
        int producers = Integer.parseInt(args[4]);
        boolean async = Boolean.parseBoolean(args[5]);

        ActiveMQConnectionFactory factory = new ActiveMQConnectionFactory(uri);
        factory.setUseAsyncSend(async);
        Connection consumerConnection = factory.createConnection();
        consumerConnection.start();
        Session cs = consumerConnection.createSession(false, Session.AUTO_ACKNOWLEDGE);
        Queue queue = cs.createQueue(queueName);
        MessageConsumer consumer = cs.createConsumer(queue);
        double[] latencies = new double[messages];
        AtomicInteger received = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(1);
        consumer.setMessageListener(m -> {
            try {
                int i = received.getAndIncrement();
                if (i < messages) latencies[i] = (System.nanoTime() - m.getLongProperty("ts")) / 1e6;
                if (i + 1 == messages) done.countDown();
            } catch (JMSException e) {
                e.printStackTrace();
            }
        });

        char[] chars = new char[bodyBytes];
        Arrays.fill(chars, 'x');
        String body = new String(chars);
        long start = System.nanoTime();
        Thread[] threads = new Thread[producers];
        for (int p = 0; p < producers; p++) {
            int count = messages / producers + (p < messages % producers ? 1 : 0);
            threads[p] = new Thread(() -> {
                try {
                    Connection c = factory.createConnection();
                    c.start();
                    Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
                    MessageProducer producer = s.createProducer(queue);
                    producer.setDeliveryMode(DeliveryMode.PERSISTENT);
                    for (int i = 0; i < count; i++) {
                        TextMessage m = s.createTextMessage(body);
                        m.setLongProperty("ts", System.nanoTime());
                        producer.send(m);
                    }
                    c.close();
                } catch (JMSException e) {
                    e.printStackTrace();
                    System.exit(1);
                }
            });
            threads[p].start();
        }
        for (Thread t : threads) t.join();
        if (!done.await(300, java.util.concurrent.TimeUnit.SECONDS)) {
            System.err.println("only " + received.get() + " of " + messages + " received");
            System.exit(1);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        consumerConnection.close();
        Arrays.sort(latencies);
        System.out.printf("{\"messages\":%d,\"seconds\":%.3f,\"msgPerSec\":%.1f,\"p50Ms\":%.3f,\"p99Ms\":%.3f}%n",
            messages, seconds, messages / seconds, latencies[messages / 2], latencies[(int) (messages * 0.99)]);
    }
}
