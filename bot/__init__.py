"""supportbot core: conversations, customers, prompts, limits, tools, confirmations, usage.

Nothing in this package imports a platform SDK; adapters translate platform events
into :class:`bot.inbound.InboundMessage` and render the outcomes the core returns.
"""
