/*
 * Opens ICMP datagram ("ping") sockets, which Node cannot create itself. Everything else (sending, receiving,
 * polling) is Node's dgram module over the returned file descriptor: libuv treats a SOCK_DGRAM socket as UDP.
 *
 * The kernel admits a process to these sockets when one of its groups is inside net.ipv4.ping_group_range (the
 * same sysctl serves ICMPv6); no capability is needed. Built against Node-API only, so one build serves every Node
 * version with Node-API 8.
 */
#define NAPI_VERSION 8
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <node_api.h>

/* open(family: 4 | 6): a non-blocking ping socket's file descriptor, or -errno. */
static napi_value Open(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t family = 0;
  napi_value result;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_int32(env, argv[0], &family) != napi_ok || (family != 4 && family != 6)) {
    napi_throw_type_error(env, NULL, "open(family): family must be 4 or 6");
    return NULL;
  }
  int fd = family == 4 ? socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP)
                       : socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMPV6);
  napi_create_int32(env, fd >= 0 ? fd : -errno, &result);
  return result;
}

/* close(fd): for a descriptor Node never took over. */
static napi_value Close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd = -1;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == napi_ok && argc >= 1 &&
      napi_get_value_int32(env, argv[0], &fd) == napi_ok && fd >= 0)
    close(fd);
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_value open_fn, close_fn;
  napi_create_function(env, "open", NAPI_AUTO_LENGTH, Open, NULL, &open_fn);
  napi_create_function(env, "close", NAPI_AUTO_LENGTH, Close, NULL, &close_fn);
  napi_set_named_property(env, exports, "open", open_fn);
  napi_set_named_property(env, exports, "close", close_fn);
  return exports;
}
