"""The tooling account's second workspace: the targets' attachments in the hub's route tables.

It runs after the target workspaces because it needs their attachment IDs; the
tooling workspace runs before them because they need the gateway. Splitting the hub
this way is what keeps the workspaces free of a cycle.
"""

from __future__ import annotations

from collections.abc import Mapping

from constructs import Construct

from config.backend import S3BackendSettings
from config.workspaces import hub_routing_workspace
from modules.transit_routing import TransitRouting, TransitRoutingProps
from stacks import outputs
from stacks.base import AccountStack
from stacks.target import TargetStack
from stacks.tooling import ToolingStack


class HubRoutingStack(AccountStack):
    def __init__(
        self,
        scope: Construct,
        tooling: ToolingStack,
        targets: Mapping[str, TargetStack],
        backend: S3BackendSettings | None = None,
    ) -> None:
        super().__init__(scope, hub_routing_workspace(tooling.workspace), tooling.account, backend)
        hub = self.remote_outputs(tooling)
        spokes_table = hub.get(outputs.SPOKES_ROUTE_TABLE_ID)
        hub_table = hub.get(outputs.HUB_ROUTE_TABLE_ID)
        self.routing: dict[str, TransitRouting] = {}
        for name, target in targets.items():
            state = self.remote_outputs(target)
            # A target uses the spokes table (the tooling VPC only) and is propagated
            # into the hub table alone: it becomes reachable from tooling, and from no
            # other target, since nothing but tooling propagates into spokes.
            self.routing[name] = TransitRouting(
                self,
                name,
                TransitRoutingProps(
                    namer=self.namer,
                    attachment_id=state.get(outputs.TRANSIT_GATEWAY_ATTACHMENT_ID),
                    associate_with=spokes_table,
                    propagate_to={"hub": hub_table},
                    accept=not tooling.transit_config.auto_accept_shared_attachments,
                ),
            )
