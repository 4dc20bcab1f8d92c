// Counters the connection bumps as it works; `EngineStats` snapshots combine them with live
// values (RTT, window, bytes in flight). Plain numeric fields: incrementing is free.

export class Counters {
  packetsSent = 0;
  packetsReceived = 0;
  dataPacketsSent = 0;
  dataBytesSent = 0;
  resentBytes = 0;
  packetsWithResentData = 0;
  ackPacketsSent = 0;
  retransmitsTimeout = 0;
  retransmitsFast = 0;
  retransmitsSpurious = 0;
  duplicatesReceived = 0;
  duplicatePackets = 0;
  malformedPackets = 0;
  packetsLost = 0;
  ptoExpirations = 0;
  tailLossProbes = 0;
  pingsSent = 0;
  messagesSent = 0;
  messagesDelivered = 0;
  bytesDelivered = 0;
}
