"""Images read statically from files: ``docker-archive:``, ``oci-archive:`` and ``oci:`` targets."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from envaudit.errors import TargetError
from envaudit.targets.base import Started, Target
from envaudit.targets.image_snapshot import image_snapshot, static_read

if TYPE_CHECKING:
    from envaudit.model import Snapshot
    from envaudit.scan import ScanContext


class StaticImage(Target):
    """An image archive (``docker save`` output or an OCI archive), read as files: no code runs."""

    is_image = True
    layout: ClassVar[bool] = False  # an OCI layout folder rather than an archive file

    def snapshot(self, started: Started | None, context: ScanContext | None) -> Snapshot:
        from envaudit.targets import image

        assert context is not None
        opts = self.options.image
        with static_read(self.spec, self.options.timeout):
            raw, record = image.scan_image(
                self.spec.location,
                layout=self.layout,
                platform=opts.platform,
                python=opts.python,
                project=opts.project,
            )
        return image_snapshot(
            self.spec,
            raw,
            record=record,
            requested=str(raw["interpreter"]["executable"]),
            environ=raw["environ"],
            context=context,
            project=opts.project,
        )

    def start_probes(self, script: str, args: Sequence[str]) -> Started:
        raise TargetError(
            self.spec.spelling,
            "an image read statically runs no code, so it cannot be probed",
            tip="probe the image through the engine: docker:IMAGE",
        )


class OCILayout(StaticImage):
    """``oci:DIR``: an OCI image layout folder (index.json, blobs/)."""

    layout = True
