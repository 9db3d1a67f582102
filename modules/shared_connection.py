"""One target account's GitLab connection on the tooling account's host, shared with it through AWS RAM."""

from __future__ import annotations

from dataclasses import dataclass

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.codeconnections_connection import CodeconnectionsConnection
from cdktf_cdktf_provider_aws.ram_principal_association import RamPrincipalAssociation
from cdktf_cdktf_provider_aws.ram_resource_association import RamResourceAssociation
from cdktf_cdktf_provider_aws.ram_resource_share import RamResourceShare
from constructs import Construct

from modules.codeconnections import console_url
from modules.naming import Namer


@dataclass(frozen=True)
class SharedConnectionProps:
    """Inputs of ``SharedConnection``.

    ``target`` is the target workspace (a stable name: it is part of the construct's
    physical names), ``target_account_id`` the account the connection is shared with.
    ``allow_external_principals`` is False inside an AWS Organization with RAM
    sharing enabled (the share takes effect at once) and True when sharing with an
    account by ID outside it (the target accepts an invitation), as for the Transit
    Gateway's share (``transit_gateway.share_mode``).
    """

    namer: Namer
    account_id: str
    region: str
    host_arn: str
    target: str
    target_account_id: str
    allow_external_principals: bool = False


class SharedConnection(Construct):
    """A connection (``PENDING`` until its handshake, done by hand) and a RAM share
    holding only it, with only the target account as principal.

    One connection per target account, not one for all: a connection acts as the one
    GitLab user who authorized it ("Create a connection to GitLab self-managed",
    Developer Tools console User Guide), so each target gets its own GitLab service
    user, sees only the projects that user may read, and can be revoked alone.
    """

    def __init__(self, scope: Construct, id_: str, props: SharedConnectionProps) -> None:
        super().__init__(scope, id_)
        namer = props.namer
        # Its ARN is in the target's pipelines and its handshake is manual: a
        # replacement would break every pipeline of the account until redone.
        self.connection = CodeconnectionsConnection(
            self,
            "connection",
            name=namer.name("codeconnections", props.target),
            host_arn=props.host_arn,
            lifecycle=TerraformResourceLifecycle(prevent_destroy=True),
        )
        # AWS RAM shares CodeConnections connections (resource type
        # codeconnections:Connection, "Share connections with AWS accounts",
        # Developer Tools console User Guide); the host stays in this account.
        self.share = RamResourceShare(
            self,
            "share",
            name=namer.name("default", "codeconnections", props.target),
            allow_external_principals=props.allow_external_principals,
            tags={"Name": namer.name("tag", "codeconnections", props.target)},
        )
        RamResourceAssociation(
            self, "share-connection", resource_arn=self.connection.arn, resource_share_arn=self.share.arn
        )
        RamPrincipalAssociation(
            self, "share-target", principal=props.target_account_id, resource_share_arn=self.share.arn
        )
        self.console_url = console_url(self.connection.arn, props.account_id, props.region, "connections")

    @property
    def arn(self) -> str:
        return self.connection.arn

    @property
    def status(self) -> str:
        return self.connection.connection_status
