// swift-tools-version: 6.1
import PackageDescription

// Release: lld with packed relative relocations (DT_RELR, glibc >= 2.36). The 37,000 relative
// relocations of Swift's metadata shrink from 0.9 MB of .rela.dyn, all read by the loader at every
// start, to 10 KB: 1.2-2.4 MiB less peak RSS. And no dynamic symbol table: the driver exports every
// public Swift symbol of an executable (33,750, 2.7 MB of .dynsym/.dynstr that each shared library's
// symbol lookups walk first); nothing links against the executable, and without them 4-4.5 MiB less
// peak RSS (README, Performance: memory).
let releaseLinking: [LinkerSetting] = [
    .unsafeFlags(
        [
            "-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs",
            "-Xlinker", "--no-export-dynamic",
        ],
        .when(platforms: [.linux], configuration: .release)
    )
]

let package = Package(
    name: "driftline",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "driftline", targets: ["driftline"]),
        .executable(name: "driftline-deliver", targets: ["driftline-deliver"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        // System libraries (Debian: libpq-dev, libcsv-dev, libzstd-dev, libyaml-dev).
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CLibCSV", providers: [.apt(["libcsv-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CLibYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        // zlib for the tests only (reading the browser test's PNG screenshot).
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // Compiler builtins Swift cannot spell (prefetch).
        .target(name: "CDriftlineShims"),

        // Pure pipeline logic: CSV streaming, claim format, validation rules, privacy types, config.
        .target(
            name: "DriftlineCore",
            dependencies: [
                "CLibCSV", "CZstd", "CLibYAML", "CDriftlineShims",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // PostgreSQL: libpq wrapper, COPY, migrations, loader, checkpoints.
        .target(
            name: "DriftlinePostgres",
            dependencies: [
                "CLibPQ", "DriftlineCore",
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Migrations")]
        ),
        // Synthetic uploads for the demo, the benchmark and the tests (`driftline samples`).
        .target(
            name: "DriftlineSamples",
            dependencies: ["DriftlineCore"]
        ),
        // The private PostgreSQL cluster under .driftline/ for development and the tests (`driftline db`).
        .target(name: "DriftlineEmbedded"),
        // Stages, the checkpointed runner, locks: the pipeline itself.
        .target(
            name: "DriftlinePipeline",
            dependencies: [
                "DriftlineCore", "DriftlinePostgres",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Webhook delivery (Standard Webhooks over AsyncHTTPClient): linked by `driftline-deliver` and the tests only,
        // so the core, the database layer, the load path and the `driftline` executable never link an HTTP client.
        .target(
            name: "DriftlineDelivery",
            dependencies: [
                "DriftlineCore", "DriftlinePostgres", "DriftlinePipeline",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The command-line tool: argument parsing and wiring.
        .executableTarget(
            name: "driftline",
            dependencies: [
                "DriftlineCore", "DriftlinePostgres", "DriftlinePipeline", "DriftlineSamples", "DriftlineEmbedded",
                "DriftlineCommandSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            linkerSettings: releaseLinking
        ),
        // What both executables' command lines share (logging options).
        .target(
            name: "DriftlineCommandSupport",
            dependencies: [
                "DriftlineCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Webhook delivery's own process (`alerts deliver`, and the `deliver` stage of `driftline run`): the only
        // executable that links the HTTP client, so the nightly load's process maps none of it (4 MiB of peak RSS).
        .executableTarget(
            name: "driftline-deliver",
            dependencies: [
                "DriftlineCore", "DriftlinePostgres", "DriftlinePipeline", "DriftlineDelivery", "DriftlineCommandSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            linkerSettings: releaseLinking
        ),
        .target(
            name: "DriftlineTestSupport",
            dependencies: [
                "DriftlineCore", "DriftlinePostgres", "DriftlinePipeline", "CZlib",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/DriftlineTestSupport"
        ),
        .testTarget(
            name: "DriftlineCoreTests",
            dependencies: ["DriftlineCore", "DriftlineSamples", "DriftlineTestSupport"]
        ),
        // The runner with an in-memory checkpoint store and test stages: no database.
        .testTarget(
            name: "DriftlinePipelineTests",
            dependencies: [
                "DriftlineCore", "DriftlinePipeline", "DriftlineTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The command line's own logic (exit codes), no database.
        .testTarget(
            name: "DriftlineCLITests",
            dependencies: ["driftline", "DriftlinePipeline"]
        ),
        .testTarget(
            name: "DriftlineIntegrationTests",
            dependencies: [
                "DriftlineCore", "DriftlinePostgres", "DriftlinePipeline", "DriftlineDelivery", "DriftlineEmbedded",
                "DriftlineSamples", "DriftlineTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
    ]
)

for target in package.targets where target.type != .system && target.name != "CDriftlineShims" {
    target.swiftSettings = (target.swiftSettings ?? []) + [
        .enableUpcomingFeature("ExistentialAny"),
        .enableUpcomingFeature("MemberImportVisibility"),
    ]
}
