import { describe, expect, it } from 'vitest';
import { adapterConfigOf, coreConfigOf } from '../../src/config/component-config.js';
import { loadConfig } from '../../src/config/index.js';
import { needsTls, planListeners } from '../../src/config/listener-plan.js';

const stomp = { name: 'stomp', webSocketProtocols: ['v12.stomp'] };
const openwire = { name: 'openwire', webSocketProtocols: [] };

describe('planListeners', () => {
  it('opens only listeners of registered adapters, WS/WSS shared by those with subprotocols', () => {
    const plan = planListeners(loadConfig({}), [stomp, openwire]);
    expect(plan).toEqual([
      { name: 'stomp-tcp', transport: 'tcp', host: '0.0.0.0', port: 61613, protocols: ['stomp'] },
      { name: 'stomp-tls', transport: 'tls', host: '0.0.0.0', port: 61614, protocols: ['stomp'] },
      { name: 'openwire-tcp', transport: 'tcp', host: '0.0.0.0', port: 61616, protocols: ['openwire'] },
      { name: 'openwire-tls', transport: 'tls', host: '0.0.0.0', port: 61617, protocols: ['openwire'] },
      { name: 'ws', transport: 'ws', host: '0.0.0.0', port: 61618, protocols: ['stomp'] },
      { name: 'wss', transport: 'wss', host: '0.0.0.0', port: 61619, protocols: ['stomp'] },
    ]);
    expect(needsTls(plan)).toBe(true);
  });

  it('leaves out disabled listeners and honours moved ones', () => {
    const config = loadConfig({ args: ['--stomp.tls.enabled', 'false', '--wss.enabled=false', '--ws.host', '127.0.0.1', '--ws.port', '9000'] });
    const plan = planListeners(config, [stomp]);
    expect(plan.map((l) => `${l.name}@${l.host}:${l.port}`)).toEqual(['stomp-tcp@0.0.0.0:61613', 'ws@127.0.0.1:9000']);
    expect(needsTls(plan)).toBe(false);
  });

  it('opens no WebSocket listener without an adapter that speaks WebSocket', () => {
    expect(planListeners(loadConfig({}), [openwire]).map((l) => l.name)).toEqual(['openwire-tcp', 'openwire-tls']);
    expect(planListeners(loadConfig({}), [])).toEqual([]);
  });
});

describe('component configuration', () => {
  it('gives an adapter the limits overlaid with its own section, without listener settings', () => {
    const config = loadConfig({ args: ['--stomp.defaultPrefetch', '7', '--limits.maxHeaders', '9'] });
    const stompConfig = adapterConfigOf(config, 'stomp');
    expect(stompConfig).toEqual({ ...config.limits, defaultPrefetch: 7, defaultTopicPrefetch: 32767, defaultDurableTopicPrefetch: 100, heartbeatMinMs: 1000, heartbeatMaxMs: 60000 });
    expect(stompConfig.maxHeaders).toBe(9);
    expect(stompConfig).not.toHaveProperty('tcp');
    const { tcp: _tcp, tls: _tls, ...mqttSection } = config.mqtt;
    expect(adapterConfigOf(config, 'mqtt')).toEqual({ ...config.limits, ...mqttSection });
    expect(adapterConfigOf(config, 'mqtt')).not.toHaveProperty('tcp');
    expect(adapterConfigOf(config, 'echo')).toEqual({ ...config.limits });
  });

  it('gives the core its section plus brokerName and maxMessageBytes', () => {
    const config = loadConfig({ args: ['--brokerName', 'b1', '--limits.maxMessageBytes', '1000'] });
    expect(coreConfigOf(config)).toEqual({ ...config.core, brokerName: 'b1', maxMessageBytes: 1000 });
  });
});
