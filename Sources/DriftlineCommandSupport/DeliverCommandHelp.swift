/// The help of `driftline alerts deliver` and of `driftline-deliver send`, which it runs.
package enum DeliverCommandHelp {
    package static let abstract =
        "Send the due outbox messages (webhooks, or the file channel for endpoints without a URL)."
    package static let discussion = """
        Endpoint NAME posts to $DRIFTLINE_WEBHOOK_<NAME>_URL signed with $DRIFTLINE_WEBHOOK_<NAME>_SECRET
        (or the same KEY=VALUE lines in --secrets FILE, mode 0600). Exit 76 when a message was dead-lettered.
        """
}
