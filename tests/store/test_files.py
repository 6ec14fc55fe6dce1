import os
import socket

import pytest

from collab.channel import Channel
from collab.errors import ChannelNotFound, ChannelRefused
from collab.store.files import create_exclusive, open_checked, read_checked


def test_missing(tmp_path):
    with pytest.raises(ChannelNotFound, match="no channel at"):
        open_checked(tmp_path / "collab-none.md")
    with pytest.raises(ChannelNotFound, match="does not exist"):
        create_exclusive(tmp_path / "nodir" / "collab-x.md", b"x")


def test_symlink_is_refused(channel, tmp_path):
    link = tmp_path / "collab-link.md"
    link.symlink_to(channel.path)
    with pytest.raises(ChannelRefused, match="symbolic link"):
        read_checked(link)
    before = channel.path.read_bytes()
    with pytest.raises(ChannelRefused):
        Channel(link).answer("x", author="b")
    assert channel.path.read_bytes() == before


def test_directory_fifo_and_socket_are_refused(tmp_path):
    folder = tmp_path / "collab-dir.md"
    folder.mkdir()
    with pytest.raises(ChannelRefused, match="directory"):
        read_checked(folder)
    with pytest.raises(ChannelRefused, match="directory"):
        Channel(folder).answer("x", author="b")
    fifo = tmp_path / "collab-fifo.md"
    os.mkfifo(fifo)
    with pytest.raises(ChannelRefused, match="not a regular file"):
        read_checked(fifo)
    sock_path = tmp_path / "s.md"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(sock_path))
        with pytest.raises(ChannelRefused):
            read_checked(sock_path)


def test_hard_link_is_refused(channel, tmp_path):
    os.link(channel.path, tmp_path / "elsewhere.md")
    with pytest.raises(ChannelRefused, match="hard links"):
        read_checked(channel.path)


@pytest.mark.skipif(os.getuid() != 0, reason="changing a file's owner needs root")
def test_another_users_file_is_refused(channel):
    os.chown(channel.path, 12345, -1)
    before = channel.path.read_bytes()
    with pytest.raises(ChannelRefused, match="another user"):
        Channel(channel.path).answer("x", author="b")
    assert channel.path.read_bytes() == before


@pytest.mark.skipif(os.getuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file_is_refused(channel):
    os.chmod(channel.path, 0)
    with pytest.raises(ChannelRefused, match="permission denied"):
        read_checked(channel.path)
