import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// A real HTTP server on 127.0.0.1 (an ephemeral port) that records every request and answers from a script.
final class WebhookReceiver: @unchecked Sendable {
    struct Request: Sendable {
        var path: String
        var headers: [String: String]
        var body: String
        var receivedAt: Date

        var webhookID: String { headers["webhook-id"] ?? "" }
    }

    /// One scripted answer: a status, extra headers, and a delay before answering.
    struct Answer: Sendable {
        var status: Int
        var headers: [(String, String)] = []
        var delay: Double = 0
    }

    private let lock = NSLock()
    private var recorded: [Request] = []
    private var scripts: [String: [Answer]] = [:]
    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private var channel: (any Channel)?
    private(set) var port = 0

    init() throws {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { [self] channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(Handler(receiver: self))
                }
            }
        let channel = try bootstrap.bind(host: "127.0.0.1", port: 0).wait()
        self.channel = channel
        port = channel.localAddress?.port ?? 0
    }

    func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    /// Answers for requests to `path`, in order; after the last, 200.
    func script(_ path: String, _ answers: [Answer]) {
        lock.lock()
        scripts[path] = answers
        lock.unlock()
    }

    var requests: [Request] {
        lock.lock()
        defer { lock.unlock() }
        return recorded
    }

    func requests(to path: String) -> [Request] { requests.filter { $0.path == path } }

    fileprivate func record(_ request: Request) -> Answer {
        lock.lock()
        defer { lock.unlock() }
        recorded.append(request)
        if var answers = scripts[request.path], !answers.isEmpty {
            let answer = answers.removeFirst()
            scripts[request.path] = answers
            return answer
        }
        return Answer(status: 200)
    }

    func shutdown() {
        try? channel?.close().wait()
        try? group.syncShutdownGracefully()
    }

    private final class Handler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        private let receiver: WebhookReceiver
        private var head: HTTPRequestHead?
        private var body = ByteBuffer()

        init(receiver: WebhookReceiver) { self.receiver = receiver }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                self.head = head
                body.clear()
            case .body(var chunk):
                body.writeBuffer(&chunk)
            case .end:
                guard let head else { return }
                var headers: [String: String] = [:]
                for (name, value) in head.headers { headers[name.lowercased()] = value }
                let answer = receiver.record(
                    Request(
                        path: head.uri,
                        headers: headers,
                        body: body.getString(at: body.readerIndex, length: body.readableBytes) ?? "",
                        receivedAt: Date()
                    )
                )
                let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
                context.eventLoop.scheduleTask(in: .milliseconds(Int64(answer.delay * 1000))) {
                    let (handler, context) = loopBound.value
                    handler.respond(answer, keepAlive: head.isKeepAlive, context: context)
                }
            }
        }

        private func respond(_ answer: Answer, keepAlive: Bool, context: ChannelHandlerContext) {
            guard context.channel.isActive else { return }
            var headers = HTTPHeaders([("content-length", "2"), ("content-type", "text/plain")])
            for (name, value) in answer.headers { headers.add(name: name, value: value) }
            if !keepAlive { headers.add(name: "connection", value: "close") }
            let head = HTTPResponseHead(
                version: .http1_1,
                status: HTTPResponseStatus(statusCode: answer.status),
                headers: headers
            )
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: "ok")))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            if !keepAlive { context.close(promise: nil) }
        }
    }
}
