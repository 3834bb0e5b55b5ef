// A stand-in for Pulumi's Node.js language host (pulumi-language-nodejs), for
// the engine tests only.
//
// The Go module proxy here serves the Pulumi CLI but not the real host's module
// (github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3: 403), so
// this one takes its place. It does what the real host does for this project,
// and no more: it starts the SDK's own @pulumi/pulumi/cmd/run for the program
// and @pulumi/pulumi/cmd/run-policy-pack for a policy pack, resolved from the
// program's node_modules, with the same arguments and environment. What it
// leaves out, and what that means for the tests, is in docs/development.md
// ("The engine tests").
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	sdk "github.com/pulumi/pulumi/sdk/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/cmdutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/logging"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/version"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
)

// The exit code with which @pulumi/pulumi/cmd/run says it has already shown the
// user an actionable message (a RunError): the engine then prints nothing more.
const exitAfterUserMessage = 32

func main() {
	flag.String("tracing", "", "ignored: this stand-in emits no traces")
	runtime := flag.String("runtime", "nodejs", "only nodejs is supported")
	showVersion := flag.Bool("version", false, "print the version and exit")
	flag.Parse()
	if *showVersion {
		fmt.Println(version.Version)
		return
	}
	if *runtime != "nodejs" {
		cmdutil.Exit(fmt.Errorf("this stand-in runs only the nodejs runtime, not %q", *runtime))
	}
	logging.InitLogging(false, 0, false)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	cancel := make(chan bool)
	go func() { <-ctx.Done(); close(cancel) }()

	host := &languageHost{}
	if args := flag.Args(); len(args) > 0 {
		host.engineAddress = args[0]
		// The engine's own check: the host stops when the CLI goes away.
		if err := rpcutil.Healthcheck(ctx, host.engineAddress, 5*time.Minute, stop); err != nil {
			cmdutil.Exit(fmt.Errorf("could not start health check: %w", err))
		}
	}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: cancel,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, host)
			return nil
		},
	})
	if err != nil {
		cmdutil.Exit(fmt.Errorf("could not start the language host: %w", err))
	}
	// The engine reads the port from the first line of stdout.
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		cmdutil.Exit(fmt.Errorf("language host stopped serving: %w", err))
	}
}

type languageHost struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
	engineAddress string
}

func (h *languageHost) Handshake(
	_ context.Context, req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	h.engineAddress = req.EngineAddress
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *languageHost) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version.Version}, nil
}

// No plugins to install: the tests put every plugin on PATH and forbid
// downloads (PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION), and the engine loads
// a provider when the program first registers one of its resources.
func (h *languageHost) GetRequiredPlugins(
	context.Context, *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	return &pulumirpc.GetRequiredPluginsResponse{}, nil
}

func (h *languageHost) GetRequiredPackages(
	context.Context, *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	return &pulumirpc.GetRequiredPackagesResponse{}, nil
}

func (h *languageHost) GetProgramDependencies(
	context.Context, *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	return &pulumirpc.GetProgramDependenciesResponse{}, nil
}

func (h *languageHost) RuntimeOptionsPrompts(
	context.Context, *pulumirpc.RuntimeOptionsRequest,
) (*pulumirpc.RuntimeOptionsResponse, error) {
	return &pulumirpc.RuntimeOptionsResponse{}, nil
}

// InstallDependencies runs `npm ci` where there is a lockfile (`npm install`
// otherwise), as `pulumi new` and `pulumi install` expect of the host.
func (h *languageHost) InstallDependencies(
	req *pulumirpc.InstallDependenciesRequest, server pulumirpc.LanguageRuntime_InstallDependenciesServer,
) error {
	closer, stdout, stderr, err := rpcutil.MakeInstallDependenciesStreams(server, req.IsTerminal)
	if err != nil {
		return err
	}
	defer closer.Close()
	dir := req.GetInfo().GetProgramDirectory()
	if dir == "" {
		dir = req.Directory
	}
	args := []string{"install", "--no-audit", "--no-fund"}
	if _, err := os.Stat(dir + "/package-lock.json"); err == nil {
		args = []string{"ci", "--no-audit", "--no-fund"}
	}
	cmd := exec.CommandContext(server.Context(), "npm", args...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, stdout, stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("npm %s in %s failed: %w", args[0], dir, err)
	}
	return closer.Close()
}

type nodeOptions struct {
	typescript bool
	tsconfig   string
	nodeargs   []string
}

// parseOptions reads Pulumi.yaml's runtime options as the real host does:
// typescript defaults to true; nodeargs is split on spaces (the real host
// splits it as a shell would; this project sets none).
func parseOptions(options map[string]any) (nodeOptions, error) {
	opts := nodeOptions{typescript: true}
	if v, ok := options["typescript"]; ok {
		b, ok := v.(bool)
		if !ok {
			return opts, errors.New("typescript option must be a boolean")
		}
		opts.typescript = b
	}
	if v, ok := options["tsconfig"]; ok {
		s, ok := v.(string)
		if !ok {
			return opts, errors.New("tsconfigpath option must be a string")
		}
		opts.tsconfig = s
	}
	if v, ok := options["nodeargs"]; ok {
		s, ok := v.(string)
		if !ok {
			return opts, errors.New("nodeargs option must be a string")
		}
		opts.nodeargs = strings.Fields(s)
	}
	for _, key := range []string{"packagemanager", "production"} {
		if _, ok := options[key]; ok {
			return opts, fmt.Errorf("the stand-in language host does not implement the %s option", key)
		}
	}
	return opts, nil
}

func (o nodeOptions) env() []string {
	var env []string
	if o.typescript {
		env = append(env, "PULUMI_NODEJS_TYPESCRIPT=true")
	}
	if o.tsconfig != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+o.tsconfig)
	}
	return env
}

// locate resolves a module from the program's directory, as Node would for it.
func locate(module, dir string) (string, error) {
	script := fmt.Sprintf("console.log(require.resolve(%q))", module)
	cmd := exec.Command("node", "-e", script)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return "", fmt.Errorf("cannot find %s from %s (has npm ci run?): %s", module, dir, exit.Stderr)
		}
		return "", fmt.Errorf("cannot run node to find %s: %w", module, err)
	}
	return strings.TrimSpace(string(out)), nil
}

// runConfig gives the program its config as the SDK reads it: every key as
// <namespace>:config:<name> (the form older SDKs need; newer ones read both).
func runConfig(req *pulumirpc.RunRequest) (string, string, error) {
	cfg := map[string]string{}
	for k, v := range req.GetConfig() {
		key, err := config.ParseKey(k)
		if err != nil {
			return "", "", err
		}
		cfg[key.Namespace()+":config:"+key.Name()] = v
	}
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	cfgJSON, err := json.Marshal(cfg)
	if err != nil {
		return "", "", err
	}
	keysJSON, err := json.Marshal(secretKeys)
	return string(cfgJSON), string(keysJSON), err
}

func runArguments(req *pulumirpc.RunRequest, runPath, engineAddress string) []string {
	args := []string{runPath}
	add := func(flag, value string) {
		if value != "" {
			args = append(args, "--"+flag, value)
		}
	}
	// The real host puts a proxy of its own in front of the monitor; the SDK
	// talks to the engine's monitor just as well.
	add("monitor", req.GetMonitorAddress())
	add("engine", engineAddress)
	add("organization", req.GetOrganization())
	add("project", req.GetProject())
	add("root-directory", req.GetInfo().GetRootDirectory())
	add("stack", req.GetStack())
	add("pwd", req.GetInfo().GetProgramDirectory())
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	add("parallel", strconv.Itoa(int(req.GetParallel())))
	args = append(args, req.GetInfo().GetEntryPoint())
	return append(args, req.GetArgs()...)
}

func (h *languageHost) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	if req.GetAttachDebugger() {
		return &pulumirpc.RunResponse{Error: "the stand-in language host cannot attach a debugger"}, nil
	}
	opts, err := parseOptions(req.GetInfo().GetOptions().AsMap())
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	runPath, err := locate("@pulumi/pulumi/cmd/run", req.GetInfo().GetProgramDirectory())
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	cfg, secretKeys, err := runConfig(req)
	if err != nil {
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("failed to serialize configuration: %v", err)}, nil
	}

	cmd := exec.CommandContext(ctx, "node", append(opts.nodeargs, runArguments(req, runPath, h.engineAddress)...)...)
	cmd.Env = append(os.Environ(), "PULUMI_CONFIG="+cfg, "PULUMI_CONFIG_SECRET_KEYS="+secretKeys)
	cmd.Env = append(cmd.Env, opts.env()...)
	// Node may set its stdio non-blocking; a wrapper keeps it off our own files.
	cmd.Stdout = struct{ io.Writer }{os.Stdout}
	cmd.Stderr = struct{ io.Writer }{os.Stderr}
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 5 * time.Second

	err = cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return &pulumirpc.RunResponse{}, nil
	case errors.As(err, &exit) && exit.ExitCode() == exitAfterUserMessage:
		return &pulumirpc.RunResponse{Bail: true}, nil
	case errors.As(err, &exit):
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program exited with non-zero exit code: %d", exit.ExitCode())}, nil
	default:
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("could not run node: %v", err)}, nil
	}
}

// RunPlugin starts a policy pack (kind analyzer) the way the real host does
// since the CLI dropped pulumi-analyzer-policy: the SDK's run-policy-pack in
// the pack's directory, behind the SDK's PolicyProxy, which hands the pack the
// stack's configuration through its environment. Other plugin kinds are not
// needed here and are refused.
func (h *languageHost) RunPlugin(
	req *pulumirpc.RunPluginRequest, server pulumirpc.LanguageRuntime_RunPluginServer,
) error {
	if req.Kind != string(apitype.AnalyzerPlugin) {
		return fmt.Errorf("the stand-in language host runs only policy packs, not a %s plugin (%s)", req.Kind, req.Name)
	}
	ctx := server.Context()
	closer, stdout, stderr, err := rpcutil.MakeRunPluginStreams(server, false)
	if err != nil {
		return err
	}
	defer closer.Close()

	dir := req.GetInfo().GetProgramDirectory()
	opts, err := parseOptions(req.GetInfo().GetOptions().AsMap())
	if err != nil {
		return err
	}
	runPath, err := locate("@pulumi/pulumi/cmd/run-policy-pack", dir)
	if err != nil {
		return err
	}
	proxy, stdout, err := sdk.NewPolicyProxy(ctx, stdout)
	if err != nil {
		return fmt.Errorf("could not start policy pack proxy: %w", err)
	}
	stack, err := proxy.AwaitConfiguration(ctx)
	if err != nil {
		return fmt.Errorf("could not get stack configuration: %w", err)
	}

	env := append(req.Env, opts.env()...)
	if stack != nil {
		env = append(env,
			"PULUMI_NODEJS_ORGANIZATION="+stack.Organization,
			"PULUMI_NODEJS_PROJECT="+stack.Project,
			"PULUMI_NODEJS_STACK="+stack.Stack,
			"PULUMI_NODEJS_DRY_RUN="+strconv.FormatBool(stack.DryRun))
		if stack.Config != nil {
			cfg, err := json.Marshal(stack.Config)
			if err != nil {
				return fmt.Errorf("could not marshal stack configuration: %w", err)
			}
			env = append(env, "PULUMI_CONFIG="+string(cfg))
		}
	}

	args := append(append(append([]string{runPath}, opts.nodeargs...), req.Args...), dir)
	cmd := exec.CommandContext(ctx, "node", args...)
	// Packs have always run in their own directory.
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = dir, env, stdout, stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("could not start the policy pack: %w", err)
	}
	if err := proxy.Attach(ctx, cmd); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			if status, ok := exit.Sys().(syscall.WaitStatus); ok {
				return fmt.Errorf("Program exited with non-zero exit code: %d", status.ExitStatus())
			}
		}
		return err
	}
	return closer.Close()
}
