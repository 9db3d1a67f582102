"""Props that several workspaces derive the same way from an account's configuration."""

from __future__ import annotations

from modules.network import NetworkProps
from stacks.base import AccountStack


def network_props(stack: AccountStack) -> NetworkProps:
    account = stack.account
    net = account.network
    return NetworkProps(
        namer=stack.namer,
        account_id=account.account_id,
        region=account.region,
        partition=stack.partition,
        vpc_cidr=net.vpc_cidr,
        private_subnets=net.private_subnets,
        flow_log_retention_days=net.flow_logs.retention_days,
        flow_log_traffic_type=net.flow_logs.traffic_type,
    )
