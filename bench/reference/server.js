// The reference relay for the benchmark: what a team would build without checkout-chat, on the
// socket.io npm package. It has the same semantics as our relay for everything the benchmark
// drives, so the two can be compared message for message:
//
// - a shopper says `hello` (a token from an earlier visit, the conversation it shows and the last
//   sequence number it has shown) and gets `welcome`, the events it missed, then `synced`;
// - every conversation is a socket.io room; every event gets the next sequence number of its
//   conversation and is written to an append-only log and made durable (fdatasync) BEFORE the
//   sender's ack callback runs and before the room sees it — the durability of our SQLite
//   settings (WAL, synchronous = FULL: the log is synced on every commit);
// - a resend with the same client_id is answered with the stored sequence number, never stored
//   or forwarded twice;
// - agents get the shop's inbox (`conversation_updated`) and presence changes; a new
//   conversation goes to the least-loaded online agent below capacity (a `joined` event);
// - cart activity is stored durably, acknowledged and shown to the conversation's agents.
//
// Storage: one JSON line per record, appended with group commit (records that arrive while a
// sync is in flight are written and synced together by the next one — the natural way to make
// a Node.js append log durable without blocking the event loop). On start the log is read back
// to rebuild every visitor, conversation and event; a torn last line (a crash mid-write) is cut
// off, which loses nothing acknowledged.
//
// Agents authenticate with the socket.io handshake (`auth: {agent_id, secret}`); the benchmark
// does not measure logins. Usage:
//   node server.js --port 0 --log /tmp/x/relay.log --agents 25 --capacity 50 --secret s
// It prints "reference relay listening on http://127.0.0.1:<port>" once it accepts connections.

"use strict";

const fs = require("node:fs");
const http = require("node:http");
const crypto = require("node:crypto");
const { Server } = require("socket.io");

const MAX_TEXT_CHARS = 4000;
const PREVIEW_CHARS = 120;
const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const SHOP = { id: "demo", name: "Nordhavn Coffee" };

function parseArgs(argv) {
  const options = { port: 0, log: "reference-relay.log", agents: 1, capacity: 5, secret: "" };
  for (let i = 2; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, "");
    if (!(key in options)) throw new Error(`unknown option ${argv[i]}`);
    options[key] = typeof options[key] === "number" ? Number(argv[i + 1]) : argv[i + 1];
  }
  if (!options.secret) throw new Error("--secret is required (agents authenticate with it)");
  return options;
}

// ---- Durable append-only log with group commit ----

class Log {
  constructor(path) {
    this.path = path;
    this.queue = [];
    this.flushing = false;
  }

  // Reads every complete record, cuts a torn tail, and opens the file for appending.
  load(apply) {
    let text = "";
    try {
      text = fs.readFileSync(this.path, "utf8");
    } catch (error) {
      if (error.code !== "ENOENT") throw error;
    }
    const end = text.lastIndexOf("\n") + 1;
    if (end < text.length) fs.truncateSync(this.path, Buffer.byteLength(text.slice(0, end)));
    let count = 0;
    for (const line of text.slice(0, end).split("\n")) {
      if (line) {
        apply(JSON.parse(line));
        count++;
      }
    }
    this.fd = fs.openSync(this.path, "a");
    return count;
  }

  // Resolves once every record is on disk.
  append(records) {
    return new Promise((resolve, reject) => {
      const data = records.map((r) => JSON.stringify(r) + "\n").join("");
      this.queue.push({ data, resolve, reject });
      this.flush();
    });
  }

  flush() {
    if (this.flushing || this.queue.length === 0) return;
    this.flushing = true;
    const batch = this.queue;
    this.queue = [];
    const buffer = Buffer.from(batch.map((b) => b.data).join(""));
    const done = (error) => {
      this.flushing = false;
      for (const waiter of batch) error ? waiter.reject(error) : waiter.resolve();
      this.flush();
    };
    this.writeAll(buffer, 0, (error) => {
      if (error) return done(error);
      fs.fdatasync(this.fd, done);
    });
  }

  writeAll(buffer, offset, callback) {
    fs.write(this.fd, buffer, offset, buffer.length - offset, null, (error, written) => {
      if (error) return callback(error);
      if (offset + written < buffer.length) return this.writeAll(buffer, offset + written, callback);
      callback(null);
    });
  }
}

// ---- State, rebuilt from the log ----

const visitorsByTokenHash = new Map(); // token hash -> visitor
const visitors = new Map(); // visitor id -> {id, shop, openConversation, cart_total, cart_currency, checkout_step}
const conversations = new Map(); // id -> conversation
const activityBatches = new Set(); // "visitor/batch_id" already stored
const agents = new Map(); // agent id -> {id, name, capacity, connections, online, load}

function randomId() {
  return crypto.randomBytes(12).toString("base64url");
}

function hashToken(token) {
  return crypto.createHash("sha256").update(token).digest("hex");
}

function newConversation(id, shop, visitorId, at) {
  return {
    id,
    shop,
    visitor: visitorId,
    status: "waiting",
    agent: null,
    events: [],
    byClientId: new Map(), // client_id -> event
    durableSeq: 0, // events up to here are on disk (and may be replayed or forwarded)
    lastMessage: null,
    unanswered: 0,
    waitingSince: null,
    createdAt: at,
    updatedAt: at,
  };
}

function applyRecord(record) {
  switch (record.k) {
    case "visitor": {
      const visitor = { id: record.id, shop: record.shop, openConversation: null };
      visitors.set(record.id, visitor);
      visitorsByTokenHash.set(record.token_hash, visitor);
      break;
    }
    case "conversation": {
      conversations.set(record.id, newConversation(record.id, record.shop, record.visitor, record.at));
      const visitor = visitors.get(record.visitor);
      if (visitor) visitor.openConversation = record.id;
      break;
    }
    case "event": {
      const conversation = conversations.get(record.event.conversation_id);
      if (!conversation) break;
      addEvent(conversation, record.event);
      conversation.durableSeq = record.event.seq;
      break;
    }
    case "activity": {
      activityBatches.add(`${record.visitor}/${record.batch_id}`);
      const visitor = visitors.get(record.visitor);
      if (visitor) rememberShoppingState(visitor, record.events);
      break;
    }
  }
}

// Adds an event to the conversation in memory and updates what it changes (inbox row, assignment).
function addEvent(conversation, event) {
  conversation.events.push(event);
  if (event.client_id) conversation.byClientId.set(event.client_id, event);
  conversation.updatedAt = event.at_ms;
  if (event.body.kind === "message") {
    conversation.lastMessage = event.body.text.slice(0, PREVIEW_CHARS);
    if (event.author.role === "visitor") {
      conversation.unanswered++;
      conversation.waitingSince = conversation.waitingSince ?? event.at_ms;
    } else {
      conversation.unanswered = 0;
      conversation.waitingSince = null;
    }
  } else if (event.body.kind === "joined") {
    conversation.agent = { id: event.author.id, name: event.author.name };
    conversation.status = "active";
  }
}

function rememberShoppingState(visitor, events) {
  for (const { body } of events) {
    if (body.kind === "cart") {
      visitor.cart_total = body.total;
      visitor.cart_currency = body.currency;
    } else if (body.kind === "checkout_step") {
      visitor.checkout_step = body.step;
    }
  }
}

function summary(conversation) {
  const visitor = visitors.get(conversation.visitor) || {};
  return {
    id: conversation.id,
    visitor_name: `Visitor ${conversation.visitor.slice(0, 6)}`,
    identity: "anonymous",
    status: conversation.status,
    assigned_agent: conversation.agent || undefined,
    last_seq: conversation.durableSeq,
    last_message: conversation.lastMessage || undefined,
    created_at_ms: conversation.createdAt,
    updated_at_ms: conversation.updatedAt,
    waiting_since_ms: conversation.waitingSince || undefined,
    unanswered: conversation.unanswered,
    cart_total: visitor.cart_total,
    cart_currency: visitor.cart_currency,
    checkout_step: visitor.checkout_step,
  };
}

// ---- The server ----

const options = parseArgs(process.argv);
const log = new Log(options.log);
const loaded = log.load(applyRecord);
for (let i = 1; i <= options.agents; i++) {
  const id = `agent-${i}`;
  agents.set(id, { id, name: `Bench Agent ${i}`, capacity: options.capacity, connections: 0, online: true, load: 0 });
}
for (const conversation of conversations.values()) {
  const agent = conversation.agent && agents.get(conversation.agent.id);
  if (agent && conversation.status === "active") agent.load++;
}

const httpServer = http.createServer((request, response) => {
  response.writeHead(request.url === "/healthz" ? 200 : 404).end(request.url === "/healthz" ? "ok" : "");
});
const io = new Server(httpServer, {
  transports: ["websocket"],
  maxHttpBufferSize: 16 * 1024,
  serveClient: false,
  pingInterval: 25000,
  pingTimeout: 20000,
});

const room = {
  conversation: (id) => `c:${id}`,
  conversationAgents: (id) => `ca:${id}`,
  agents: (shop) => `agents:${shop}`,
  visitors: (shop) => `visitors:${shop}`,
};

function agentsOnline() {
  let count = 0;
  for (const agent of agents.values()) if (agent.connections > 0 && agent.online) count++;
  return count;
}

let lastPresence = null;
function publishPresence() {
  const online = agentsOnline();
  if (online === lastPresence) return;
  lastPresence = online;
  io.to(room.visitors(SHOP.id)).emit("presence", { agents_online: online });
}

// Appends events to a conversation: numbered now, durable, then forwarded (in order: the log
// completes in order). Resolves with the stored events.
async function appendEvents(conversation, newEvents, extraRecords = []) {
  // Numbered one by one: each addEvent moves the conversation's length.
  const events = newEvents.map((fields) => {
    const event = { conversation_id: conversation.id, seq: conversation.events.length + 1, at_ms: Date.now(), ...fields };
    addEvent(conversation, event);
    return event;
  });
  const durable = log.append([...extraRecords, ...events.map((event) => ({ k: "event", event: wireEvent(event) }))]);
  for (const event of events) event.durable = durable;
  await durable;
  for (const event of events) {
    conversation.durableSeq = Math.max(conversation.durableSeq, event.seq);
    io.to(room.conversation(conversation.id)).emit("event", { event: wireEvent(event) });
  }
  io.to(room.agents(conversation.shop)).emit("conversation_updated", { conversation: summary(conversation) });
  return events;
}

function wireEvent(event) {
  const { durable, ...wire } = event;
  return wire;
}

// Sends the events after `after` that are durable, then `synced`. The socket joined the room
// before, so whatever becomes durable later reaches it live.
function replay(socket, conversation, after) {
  const from = Math.min(after, conversation.durableSeq);
  for (const event of conversation.events.slice(from, conversation.durableSeq)) {
    socket.emit("event", { event: wireEvent(event) });
  }
  socket.emit("synced", { conversation_id: conversation.id, last_seq: conversation.durableSeq });
}

function leastLoadedAgent() {
  let best = null;
  for (const agent of agents.values()) {
    if (agent.connections === 0 || !agent.online || agent.load >= agent.capacity) continue;
    if (!best || agent.load < best.load) best = agent;
  }
  return best;
}

async function assign(conversation) {
  const agent = leastLoadedAgent();
  if (!agent || conversation.status !== "waiting") return;
  agent.load++;
  conversation.status = "active";
  await appendEvents(conversation, [{ author: { role: "agent", id: agent.id, name: agent.name }, body: { kind: "joined" } }]);
}

async function assignWaiting() {
  for (const conversation of conversations.values()) {
    if (conversation.status === "waiting" && conversation.events.length > 0) await assign(conversation);
  }
}

function validText(text) {
  return typeof text === "string" && text.trim().length > 0 && [...text].length <= MAX_TEXT_CHARS;
}

function validId(id) {
  return typeof id === "string" && ID_PATTERN.test(id);
}

// Like our relay's error frame: the code, and which message was refused.
function refuse(ack, code, message, clientId) {
  if (typeof ack === "function") ack({ error: { code, message, client_id: clientId } });
}

// A resend is answered with what was stored (once it is durable), storing nothing. The lookup
// and the append that follows it must not be separated by an `await`: two frames with the same
// client_id can arrive in one read (a resend while the original is in flight), and their
// handlers then run one after the other up to their first `await`.
function earlierEvent(conversation, clientId) {
  return conversation.byClientId.get(clientId);
}

async function ackEarlier(conversation, earlier, ack) {
  await earlier.durable;
  ack({ client_id: earlier.client_id, conversation_id: conversation.id, seq: earlier.seq });
}

function onVisitor(socket) {
  let visitor = null;
  let conversation = null;
  let activityOnly = false;

  socket.on("hello", async (hello) => {
    if (visitor || !hello || hello.shop !== SHOP.id) return socket.emit("error", { code: "hello_expected" });
    try {
      let token = typeof hello.token === "string" ? hello.token : null;
      visitor = token ? visitorsByTokenHash.get(hashToken(token)) : null;
      if (!visitor) {
        token = crypto.randomBytes(24).toString("base64url");
        const record = { k: "visitor", id: randomId(), shop: SHOP.id, token_hash: hashToken(token) };
        await log.append([record]);
        applyRecord(record);
        visitor = visitors.get(record.id);
      }
      activityOnly = Boolean(hello.activity_only);
      const shown = !activityOnly && conversations.get(hello.conversation_id || visitor.openConversation);
      if (shown && shown.visitor !== visitor.id) return socket.disconnect(true);
      socket.join(room.visitors(SHOP.id));
      socket.emit("welcome", {
        token,
        visitor_id: visitor.id,
        shop_name: SHOP.name,
        agents_online: agentsOnline(),
        conversation_id: shown ? shown.id : undefined,
      });
      if (shown) {
        conversation = shown;
        socket.join(room.conversation(shown.id));
        replay(socket, shown, Number(hello.last_seq) || 0);
      }
    } catch (error) {
      console.error("hello failed", error);
      socket.disconnect(true);
    }
  });

  socket.on("send", async (frame, ack) => {
    if (typeof ack !== "function") return;
    if (!visitor || activityOnly) return refuse(ack, "hello_expected", "send hello first", frame?.client_id);
    if (!frame || !validId(frame.client_id)) return refuse(ack, "bad_frame", "client_id");
    if (!validText(frame.text)) return refuse(ack, "invalid_text", "empty or too long", frame.client_id);
    try {
      const extra = [];
      if (!conversation) {
        conversation = conversations.get(visitor.openConversation);
        if (!conversation) {
          const record = { k: "conversation", id: randomId(), shop: SHOP.id, visitor: visitor.id, at: Date.now() };
          applyRecord(record);
          extra.push(record);
          conversation = conversations.get(record.id);
        }
        socket.join(room.conversation(conversation.id));
        replay(socket, conversation, 0);
      }
      const earlier = earlierEvent(conversation, frame.client_id);
      if (earlier) return await ackEarlier(conversation, earlier, ack);
      const [event] = await appendEvents(
        conversation,
        [{ author: { role: "visitor" }, client_id: frame.client_id, body: { kind: "message", text: frame.text } }],
        extra,
      );
      ack({ client_id: frame.client_id, conversation_id: conversation.id, seq: event.seq });
      if (conversation.status === "waiting") await assign(conversation);
    } catch (error) {
      console.error("send failed", error);
      refuse(ack, "unavailable", "could not store; retry", frame.client_id);
    }
  });

  socket.on("typing", (frame) => {
    if (!conversation || !frame) return;
    const notice = { conversation_id: conversation.id, author: { role: "visitor" }, typing: Boolean(frame.typing) };
    io.to(room.conversation(conversation.id)).emit("typing", notice);
  });

  socket.on("activity", async (frame, ack) => {
    if (typeof ack !== "function") return;
    if (!visitor) return refuse(ack, "hello_expected", "send hello first", frame?.batch_id);
    if (!frame || !validId(frame.batch_id) || !Array.isArray(frame.events) || frame.events.length === 0 || frame.events.length > 50) {
      return refuse(ack, "bad_frame", "a batch holds 1 to 50 activities");
    }
    const key = `${visitor.id}/${frame.batch_id}`;
    try {
      if (!activityBatches.has(key)) {
        activityBatches.add(key);
        const open = conversations.get(visitor.openConversation);
        const record = { k: "activity", visitor: visitor.id, batch_id: frame.batch_id, events: frame.events, conversation_id: open?.id };
        await log.append([record]);
        rememberShoppingState(visitor, frame.events);
        if (open) {
          io.to(room.agents(open.shop)).emit("conversation_updated", { conversation: summary(open) });
          const forward = { conversation_id: open.id, events: frame.events, history: false };
          io.to(room.conversationAgents(open.id)).emit("visitor_activity", forward);
        }
      }
      ack({ batch_id: frame.batch_id });
    } catch (error) {
      activityBatches.delete(key);
      console.error("activity failed", error);
      refuse(ack, "unavailable", "could not store; retry", frame.batch_id);
    }
  });
}

function onAgent(socket, agent) {
  agent.connections++;
  socket.join(room.agents(SHOP.id));
  const open = [...conversations.values()].filter((c) => c.status !== "closed" && c.events.length > 0).map(summary);
  socket.emit("agent_welcome", { agent: { id: agent.id, name: agent.name }, shop: SHOP.id, conversations: open });
  publishPresence();
  assignWaiting().catch((error) => console.error("assignment failed", error));

  socket.on("open", (frame) => {
    const conversation = frame && conversations.get(frame.conversation_id);
    if (!conversation) return socket.emit("error", { code: "not_found" });
    socket.join([room.conversation(conversation.id), room.conversationAgents(conversation.id)]);
    replay(socket, conversation, Number(frame.last_seq) || 0);
    socket.emit("visitor_activity", { conversation_id: conversation.id, events: [], history: true });
  });

  socket.on("send", async (frame, ack) => {
    if (typeof ack !== "function") return;
    const conversation = frame && conversations.get(frame.conversation_id);
    if (!conversation) return refuse(ack, "not_found", "no such conversation", frame?.client_id);
    if (!validId(frame.client_id)) return refuse(ack, "bad_frame", "client_id");
    if (!validText(frame.text)) return refuse(ack, "invalid_text", "empty or too long", frame.client_id);
    try {
      const earlier = earlierEvent(conversation, frame.client_id);
      if (earlier) return await ackEarlier(conversation, earlier, ack);
      const author = { role: "agent", id: agent.id, name: agent.name };
      const events = [];
      if (!conversation.agent || conversation.agent.id !== agent.id) events.push({ author, body: { kind: "joined" } });
      events.push({ author, client_id: frame.client_id, body: { kind: "message", text: frame.text } });
      const stored = await appendEvents(conversation, events);
      ack({ client_id: frame.client_id, conversation_id: conversation.id, seq: stored[stored.length - 1].seq });
    } catch (error) {
      console.error("agent send failed", error);
      refuse(ack, "unavailable", "could not store; retry", frame.client_id);
    }
  });

  socket.on("typing", (frame) => {
    const conversation = frame && conversations.get(frame.conversation_id);
    if (!conversation) return;
    const notice = { conversation_id: conversation.id, author: { role: "agent", id: agent.id, name: agent.name }, typing: Boolean(frame.typing) };
    io.to(room.conversation(conversation.id)).emit("typing", notice);
  });

  socket.on("set_status", (frame) => {
    agent.online = frame && frame.status === "online";
    publishPresence();
    if (agent.online) assignWaiting().catch((error) => console.error("assignment failed", error));
  });

  socket.on("disconnect", () => {
    agent.connections--;
    publishPresence();
  });
}

io.on("connection", (socket) => {
  const auth = socket.handshake.auth || {};
  if (auth.agent_id !== undefined) {
    const agent = agents.get(auth.agent_id);
    if (!agent || auth.secret !== options.secret) return socket.disconnect(true);
    onAgent(socket, agent);
  } else {
    onVisitor(socket);
  }
});

function shutdown() {
  io.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);

lastPresence = agentsOnline();
httpServer.listen(options.port, "127.0.0.1", () => {
  console.log(`reference relay listening on http://127.0.0.1:${httpServer.address().port} (${loaded} records loaded)`);
});
